"""What each row of the calendar rules table rests on: the last column of `RULES_TEXT` names one
of these, and every projected calendar row carries its rule and this text in `basis`.

Sources are named in words (press releases by date, the schedule documents under data_lake/raw/);
where a rule is inferred from a few dated examples rather than stated, the text says so.
"""

RULE_SOURCES = {
    "may31": "rank day as of May 31, the last session on or before it (Russell's methodology before 2016: "
    "capitalization at the end of May, Madhavan, 'The Russell Reconstitution Effect', Financial "
    "Analysts Journal 2003, and Russell's 2003 and 2007 reconstitution releases; for 2010 Russell named "
    "Friday 28 May, May 31 being Memorial Day)",
    "june30": "recon_close the last trading day of June (Russell press release of 11 February 2004, which "
    "moved the close from the last day in June; the industry note 'Managing the Russell "
    "Reconstitution' of 10 November 2003: reconstituted on the last trading day of June with data "
    "as of the last trading day of May)",
    "lastfri": "recon_close the last Friday of June (Russell press release of 11 February 2004: "
    "25 June 2004, new index from the open on Monday 28 June; 2006 on Friday 30 June, Russell's "
    "preliminary-list release of June 2006)",
    "fri4": "recon_close the last Friday of June, or the Friday before when that is the 29th or 30th, "
    "i.e. the fourth Friday (Russell's stated rule; first applied in 2007, Russell press release of "
    "11 June 2007: reconstituted on 22 June; the 2010-2015 membership lists are dated by these Fridays)",
    "next": "effective_open the first session after recon_close (the new index is in force from the next "
    "open, Russell press release of 11 February 2004)",
    "prelim": "preliminary lists after the close two weeks before recon_close, updates each Friday after "
    "until recon_close (inferred from Russell's dated releases: 10 and 17 June 2005 for the 24 June 2005 "
    "close, April 2005 schedule release; an update on 23 June 2006 for the 30 June 2006 close; "
    "11 and 18 June 2010 for 25 June 2010)",
    "schedules": "FTSE Russell's published reconstitution dates 2016-2025 (press releases, notices and the "
    "2019 and 2022 schedule documents; docs/methodology.md section 3.6)",
    "ipo": "FTSE Russell's quarterly IPO review schedule (the 2022 schedule document and the IPO FAQ; "
    "from 2023 the published September and December rank dates were month-ends)",
    "cutoff": "the 90/10 index methodology, section 5.2 (price cut-off)",
    "backcast": "the 90/10 index's quarterly rebalance before FTSE Russell's quarterly review dates are "
    "known here (2016): the third Friday of March, September and December, the day those reviews keep from "
    "2016 on, applied to the index's back history (a convention of this pipeline, not a published "
    "date; Russell added IPOs quarterly only from September 2004, at first after the close of the "
    "quarter's last trading day)",
    "semi": "FTSE Russell's January 2025 press release and February 2026 research note (semi-annual "
    "reconstitution from December 2026); month and day projected until a schedule is published",
}
