"""The reconstitution calendar: rules by era, published schedules, iCalendar output."""
