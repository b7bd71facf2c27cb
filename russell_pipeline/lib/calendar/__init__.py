"""The reconstitution calendar: rules by era, published schedules, NYSE sessions, iCalendar output."""
