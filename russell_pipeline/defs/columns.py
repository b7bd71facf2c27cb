"""What each column of each lake table means, one line per column: the descriptions of its
`dagster/column_schema` in the UI (the types come from the table's polars schema).

The one text of each column's meaning: the column tables of docs/methodology.md §2 (their "meaning"
column) hold the same words, and `test_orchestration.py` fails where the two differ, or where a
column here shows no description.
"""

from __future__ import annotations

_YEAR = "The reconstitution year (the `raw/<year>/` folder the row comes from)."
_REVIEW = "The review, `YYYY-MM` (`2022-06`, `2022-09`, ...)."
_INDEX = "The index the document names (`Russell 3000`, `Russell Microcap`, ...)."
_COMPANY = "Company name, as printed."
_SYMBOL = "Ticker, as printed."
_STAGE = "List version: `preliminary`, `update` or `final`."
_CHANGE = "`addition` or `deletion`."
_SHA = "SHA-256 of the source document (`source_documents.sha256`)."
_PATH = "Path of the source document under the lake's `raw/` folder."
_PAGE = "Page of the source document the row is on."
_LINE = "Line of the row on that page."
_SECURITY_ID = (
    "`CIK<cik>` for a company's one root line, `CIK<cik>:<first ticker>` for another line or one of several "
    "classes (`CIK1067983:BRK.B`), `TICKER:<ticker>` where no SEC ticker map names its company; one id "
    "through its tickers."
)
_SECURITY = f"The security (securities.security_id): {_SECURITY_ID}"
_MEMBER = (
    "Which company under this ticker: 1 for the first the documents show, one more each time the ticker "
    "comes back under a name sharing no word with the one it left under."
)
_PRICE_SOURCE = (
    "Where the prices behind the row come from: `synthetic` (the built-in feed, not market data), "
    "`market file <name>` or `imported file <name>`."
)
_GROUP_PRICE_SOURCE = (
    "Where the prices of the row's list group come from: `synthetic` (the built-in feed), "
    "`market file <name>` or `imported file <name>`; the `index` group's are its levels'."
)
_SESSION_OFFSET = (
    "NYSE sessions from `recon_close` (0); negative before it. The window starts 20 sessions before rank day."
)
_CORRECTED = (
    "Null for a row the parser read; for a row a user's correction added, the corrections file and its "
    "line (`raw/<year>/corrections.csv:<line>`)."
)

_FORECAST_REVIEW = "The reconstitution forecast (`2023-06`; from 2026 also `YYYY-12`)."
COLUMNS: dict[str, dict[str, str]] = {
    "reconstitution_forecast": {
        "recon_year": _YEAR,
        "review": _FORECAST_REVIEW,
        "rank_day": "The rank day the universe is of.",
        "symbol": (
            "Ticker in the lists' form: a security of the universe, or a member in force the universe lacks."
        ),
        "company": "Name as the universe file prints it (a member's as its list does).",
        "primary_symbol": (
            "The company's most traded line: its classes rank once, as the company, and follow it."
        ),
        "country": "Country as the universe file gives it; null where blank or unknown.",
        "price": "Close on rank day, USD.",
        "total_market_cap": "The company's total market cap on rank day, USD.",
        "rank": (
            "Rank among the eligible companies by total market cap; null when not ranked (its reason says "
            "why)."
        ),
        "cumulative_cap_pct": "Cumulative market cap down to this company, % of the Russell 3000E's total.",
        "index_before": "Index in force on rank day: `Russell 1000`, `Russell 2000`, `Russell 3000` (segment "
        "unknown), `Russell Microcap`; null when not a member.",
        "index_after": (
            "Index after the reconstitution: `Russell 1000`, `Russell 2000`, `Russell Microcap` (ranks "
            "3,001-4,000); null when out."
        ),
        "microcap_after": (
            "Whether the company is in the Russell Microcap after the reconstitution (ranks 2,001-4,000)."
        ),
        "action": (
            "`add`, `delete`, `stay`, `move_up` (2000 to 1000), `move_down` (1000 to 2000) for the Russell "
            "3000; `out` (outside before and after), `absent` (a member not in the universe)."
        ),
        "reason": "One line: the rule the action rests on, with its numbers.",
        "rule": (
            "The rule of the forecast's rules table the action rests on (`break_r3000`, `min_price`, ...)."
        ),
        "evidence": (
            "What its index before rests on: the list in force that prints it, the SEC maps that carry its "
            "company under its rank-day ticker, or the holdings file or rule (`ipo_review`, `spin_off`) that "
            "placed it since the list; null: not a member."
        ),
        "source_line": (
            "Line of the security in the universe file; null for the market data's or an absent member."
        ),
        "price_source": "The universe: `universe file raw/<year>/<name>`, or the market data (`synthetic`, "
        "`market file <name>`).",
    },
    "forecast_breaks": {
        "recon_year": _YEAR,
        "review": _FORECAST_REVIEW,
        "break": "`Russell 1000`, `Russell 2000` (rank 2,000), `Russell 3000`, `Russell 3000E`.",
        "rank": "The rank of the break.",
        "market_cap": (
            "Total market cap of the company at that rank, USD; null when fewer companies are eligible."
        ),
        "cumulative_cap_pct": "Cumulative market cap down to that rank, % of the Russell 3000E's total.",
        "band_low_pct": "Lower edge of the band members stay within (null where no band applies).",
        "band_high_pct": "Upper edge of the band.",
        "notes": "What the forecast of the review could not know, `; ` between; null when nothing.",
    },
    "forecast_score": {
        "recon_year": _YEAR,
        "review": _FORECAST_REVIEW,
        "change": _CHANGE,
        "published_stage": (
            "The published list scored against: `final`, else the latest `update`, else `preliminary`."
        ),
        "published_as_of": "Its date.",
        "published": "Symbols on the published list.",
        "predicted": "Symbols the forecast says `add` (additions) or `delete` (deletions).",
        "hits": "Symbols on both.",
        "precision": "hits / predicted.",
        "recall": "hits / published.",
        "f1": "2 x precision x recall / (precision + recall).",
    },
    "forecast_misses": {
        "recon_year": _YEAR,
        "review": _FORECAST_REVIEW,
        "change": _CHANGE,
        "kind": "`miss` (published, not forecast) or `false_alarm` (forecast, not published).",
        "symbol": "Ticker.",
        "company": "Name, as the list or the universe file prints it.",
        "action": "What the forecast said of the symbol; null when it is not in the forecast.",
        "reason": "The forecast's reason (or why the symbol is not in it).",
        "rank": "Its rank in the forecast; null when not ranked.",
        "total_market_cap": "Its company's total market cap on rank day, USD.",
    },
    "reconstitution_demand": {
        "recon_year": _YEAR,
        "review": _FORECAST_REVIEW,
        "rank_day": "The rank day the forecast and its prices are of.",
        "symbol": "Ticker of the forecast row (a company with several classes trades on its primary line).",
        "company": "Name as the forecast gives it.",
        "action": "The forecast's action: `add`, `delete`, `move_up` or `move_down`.",
        "index_name": (
            "The index whose trackers trade it: `Russell 1000`, `Russell 2000` or `Russell 3000` (the two "
            "together)."
        ),
        "side": "`buy` (it joins the index) or `sell` (it leaves it).",
        "cap_basis": "The market cap the weights rest on: `total market cap` (the lake holds no free float).",
        "total_market_cap": "The company's total market cap on rank day, USD (the forecast's).",
        "price": "Close on rank day, USD: the price the shares are counted at.",
        "weight_before": (
            "Its weight in the index before: its cap over the caps of the members in force (0 if not one); "
            "null when unknown."
        ),
        "weight_after": "Its weight after, over the caps of the forecast's members after (0 if it leaves).",
        "shares_per_billion": (
            "Shares a $1 billion fund tracking the index buys (+) or sells (-): weight change x 1e9 / price."
        ),
        "adv_shares": (
            "Average daily volume, shares: the market data's 20 sessions to rank day, else the universe "
            "file's one day; null: unknown."
        ),
        "adv_sessions": "Sessions averaged (1 for the universe file's one day); null: unknown.",
        "adv_source": "`market data`, `universe file, one day`, or null (no volume known).",
        "days_per_billion": (
            "|shares_per_billion| / adv_shares: days of volume per $1 billion tracking the index."
        ),
        "note": "What the row's figures could not know (segment before, a further class, no market cap).",
        "price_source": "The universe the forecast was made from: `universe file raw/<year>/<name>`, or the "
        "market data (`synthetic`, `market file <name>`).",
    },
    "universe_securities": {
        "recon_year": _YEAR,
        "as_of_date": "The universe file's date: the close its prices and market caps are of.",
        "symbol": "Ticker in the lists' form (`BRK.B` for the screener's `BRK/B`).",
        "listed_symbol": "Ticker as the file prints it.",
        "company": "Security name, as printed (`Alphabet Inc. Class C Capital Stock`).",
        "price": "Last sale, USD.",
        "market_cap": (
            "Market capitalization as the file gives it, USD (a company's total on each class line); null "
            "where blank."
        ),
        "country": "Country as the file gives it; null where blank.",
        "ipo_year": "Year of listing as the file gives it; null where blank.",
        "volume": "Shares traded that day.",
        "sector": "Sector as the file gives it.",
        "industry": "Industry as the file gives it.",
        "source_sha256": _SHA,
        "source_line": "Line of the security in the file (the header is line 1).",
    },
    "sec_tickers": {
        "recon_year": _YEAR,
        "as_of_date": "The day the map was saved, as its file name says (the SEC's file has none).",
        "cik": "The company's CIK: the SEC's permanent id of a filer, kept through renames.",
        "company": "The company's name as the SEC writes it.",
        "ticker": "Ticker in the lists' form (`BRK.B` for the SEC's `BRK-B`).",
        "listed_ticker": "Ticker as the map prints it.",
        "exchange": "Exchange as the map gives it (`NYSE`, `Nasdaq`, `OTC`); null where it gives none.",
        "source_sha256": _SHA,
        "source_line": "The entry's place in the map, from 1 (the file is one line of JSON).",
    },
    "fund_holdings": {
        "recon_year": _YEAR,
        "as_of_date": "The file's `Fund Holdings as of` date.",
        "fund": "The fund's name, as the file's first line gives it.",
        "index_name": "The Russell index the fund's name names (`iShares Russell 2000 ETF`: `Russell 2000`).",
        "ticker": "Ticker as the fund prints it (a class without a separator: `MOGA`); null for `-`.",
        "company": "Name, as the fund prints it.",
        "sector": "Sector, as the fund gives it.",
        "asset_class": "`Equity`, `Cash`, `Futures`, `Money Market`, ... as the fund gives it.",
        "market_value": "Market value held, in the fund's currency.",
        "weight_pct": "Weight in the fund, percent.",
        "quantity": "Shares (or contracts) held.",
        "price": "Price, in the row's currency.",
        "location": "Country, as the fund gives it.",
        "exchange": "Exchange, as the fund gives it (`-` and `NO MARKET (E.G. UNLISTED)`: no exchange).",
        "currency": "The row's currency.",
        "listed": (
            "A listed share: an equity with a ticker of letters, on an exchange, priced above zero; evidence "
            "that its company is a member of the fund's index that day (a missing row is no evidence of a "
            "deletion: a fund need not hold every member)."
        ),
        "source_sha256": _SHA,
        "source_line": "Line of the row in the file.",
    },
    "source_documents": {
        "recon_year": _YEAR,
        "path": "The file, under the lake's `raw/` folder.",
        "sha256": "Its content hash; every row traced to a document carries it.",
        "bytes": "File size in bytes.",
        "pages": "PDF pages, or form-feed pages of a text file.",
        "doc_type": "`membership_list`, `additions`, `deletions`, `schedule`, `ground_rules`, `universe` (a "
        "rank-day universe file, methodology §4.1), `sec_tickers` (an SEC ticker map, §2.13), `holdings` (an "
        "ETF holdings file, §2.13) or `unknown`.",
        "index_name": "The index the title names (`Russell 3000`); null when it names none.",
        "stage": "`preliminary`, `update` or `final` (change lists only).",
        "as_of_date": (
            "The document's date: the date its text prints, else its file name's, else its PDF's "
            "creation date."
        ),
        "rows": "Rows parsed from it.",
        "date_source": "Which evidence gave `as_of_date` and the year: `text`, `file_name`, `metadata` (the "
        "PDF's creation date) or `folder` (no date anywhere: the `raw/<year>/` folder's year).",
        "furniture_pages": "A list's pages that hold no part of its table (a cover, an about page, a "
        "disclaimer, a contact block), each `page: why` (`33: 41 line(s), no table header and no row of the "
        "table; 40 of prose`), `; `-separated; null when every page is table.",
    },
    "constituents": {
        "recon_year": _YEAR,
        "as_of_date": "The membership list's date.",
        "index_name": _INDEX,
        "company": _COMPANY,
        "symbol": _SYMBOL,
        "source_sha256": _SHA,
        "source_page": _PAGE,
        "source_line": _LINE,
        "corrected_by": _CORRECTED,
    },
    "constituent_changes": {
        "recon_year": _YEAR,
        "index_name": _INDEX,
        "change": _CHANGE,
        "stage": _STAGE,
        "company": _COMPANY,
        "symbol": _SYMBOL,
        "sector": "The sector or industry column, when the list prints one.",
        "classification": "`ICB` or `RGS`: the sector scheme of `sector`.",
        "as_of_date": "The list's date, when it prints one.",
        "source_sha256": _SHA,
        "source_page": _PAGE,
        "source_line": _LINE,
        "corrected_by": _CORRECTED,
    },
    "recon_calendar": {
        "recon_year": "The reconstitution year the review belongs to.",
        "review": _REVIEW,
        "review_type": "`annual_reconstitution`, `semi_annual_reconstitution`, `quarterly_ipo`, or "
        "`index_review` (the 90/10 index's own March, September and December reviews before 2016).",
        "event": "`rank_day`, `final_list`, `recon_close`, `effective_open`, `price_cutoff`, `rebalance`, "
        "... (every event: methodology §2.4).",
        "date": "The date in force: published if a schedule gives it, else projected.",
        "source": "`published` or `projected`: where `date` comes from.",
        "source_sha256": "The schedule document, for published rows.",
        "basis": (
            "What `date` rests on: for a projected row its rule, its code and in words (`rule eom-2 = the "
            "last NYSE session of April`, methodology §3.2), and that rule's source; for a published row "
            "`published: <document path>`."
        ),
        "projected_date": (
            "What the rules project for the same event (null when they project none), beside `date` so both "
            "stay visible."
        ),
    },
    "quarterly_weights": {
        "review": _REVIEW,
        "cutoff_date": "t: the price cut-off of the review.",
        "effective_date": "T: the rebalance Friday, after whose close the weights apply.",
        "symbol": "The stock.",
        "price": "p: its close at t, local currency.",
        "shares": "s: shares outstanding as of t.",
        "free_float": "f: free-float fraction as of t.",
        "fx": "e: USD per unit of the stock's currency at t.",
        "scc_fraction": "a: fraction held by the Small Cap Completeness index (0 if not a member).",
        "r2g_fraction": "b: fraction held by the Russell 2000 Growth index (0 if not a member).",
        "final_mcap": "The scaled SCC cap minus the R2G cap, in USD.",
        "weight": "final_mcap / sum(final_mcap) over the review.",
        "weighting_factor": "c: the factor applied to the stock's cap in the index level.",
        "price_date": "Date of the close used for `price` (earlier than t when the stock did not trade).",
        "stale_sessions": "Sessions between that close and t (methodology §1.3).",
        "shares_date": "Date of the shares row used for `shares` and `free_float`.",
        "currency": "The stock's price currency.",
        "price_source": _PRICE_SOURCE,
    },
    "index_levels": {
        "date": "The NYSE session.",
        "price_return": "I_d: the price-return level.",
        "total_return": "TR_d: the total-return level.",
        "divisor": "D of the review reported.",
        "review": "The review whose weights are in force on the date (methodology §1.8).",
        "constituents": "Its number of members.",
        "price_source": _PRICE_SOURCE,
    },
    "pro_forma_weights": {
        "review": _REVIEW,
        "cutoff_date": "t: the review's price cut-off.",
        "effective_date": "T: the rebalance Friday, after whose close the review's weights apply.",
        "prices_date": "min(t, last close): the pro-forma reads prices, shares and fx on or before it.",
        "stand_in": (
            "True while t has not passed (prices_date < t): the latest close stands in for the cut-off close."
        ),
        "as_of_date": "min(T, last close): the close weight_now and the trade are valued at.",
        "previous_review": "The review whose weights are in force on as_of_date (null: the base review).",
        "symbol": "The stock: a member of the review, of the previous review, or of both.",
        "move": "`in` (member of the review only), `out` (of the previous review only) or `stay` (of both).",
        "weight_now": "The previous review's weights drifted to as_of_date's close (0 if not a member).",
        "weight_pro_forma": "The review's weight as the method sets it at prices_date (0 if not a member).",
        "change": "weight_pro_forma - weight_now.",
        "price": "The stock's last close on or before as_of_date, local currency.",
        "fx": "USD per unit of its currency on or before as_of_date (1 for USD).",
        "shares_per_billion": (
            "change x 1e9 / (price x fx): shares bought (+) or sold (-) per $1 billion tracked."
        ),
        "price_source": _PRICE_SOURCE,
        "members_review": "The review whose members weight_pro_forma is computed for: the review itself, "
        "or the latest review with members when the market data holds none for it yet (methodology §1.10).",
        "members_carried": (
            "True when members_review is not the review: its members are carried, not announced."
        ),
        "members_forecast": (
            "True when the carried members are changed as the review's reconstitution forecast says: its "
            "deletions leave, its additions join the Small Cap Completeness (methodology §1.10)."
        ),
        "forecast_action": "The forecast's action for the symbol (`add`, `delete`, `stay`, `move_up`, ...) "
        "where members_forecast; null otherwise.",
    },
    "membership_history": {
        "index_name": _INDEX,
        "symbol": _SYMBOL,
        "security_id": _SECURITY,
        "member": _MEMBER,
        "company": "Company name, as the opening row prints it.",
        "start_date": (
            "First day as a member; null: start unknown (a final deletion of a symbol no earlier list holds)."
        ),
        "end_date": "First day no longer a member; null: still a member as far as the documents go.",
        "start_review": "The review the interval opens at; null: start unknown.",
        "end_review": "The review the interval closes at; null: still a member as far as the documents go.",
        "opened_by": (
            "`addition` (a final additions list), `listed` (new in a membership list), `first_listed` (the "
            "index's first list, or the first after a gap: earlier membership unknown), `renamed` (a "
            "document prints the member under its new ticker), or null (start unknown)."
        ),
        "closed_by": (
            "`deletion`, `not_listed` (absent from the next membership list: left at or before that review), "
            "`not_covered` (no deletion or membership list for that reconstitution: unknown from then on, "
            "never assumed), `renamed`, or null (no later document)."
        ),
        "open_sha256": "The document of the row that opened the interval.",
        "open_path": "Its path under `raw/`.",
        "open_page": "Its page.",
        "open_line": "Its line on that page.",
        "close_sha256": "The document of the row (or, for `not_listed`, the list) that closed the interval.",
        "close_path": "Its path under `raw/`.",
        "close_page": "Its page.",
        "close_line": "Its line on that page.",
    },
    "membership_in_force": {
        "index_name": "The index (`Russell 3000`, ...; a derived one: `Russell 1000`).",
        "symbol": _SYMBOL,
        "security_id": _SECURITY,
        "member": _MEMBER,
        "company": "Company name, as the document in force on these dates prints it.",
        "sector": "Its sector, where that document prints one (change lists); null for membership lists.",
        "classification": "`ICB` or `RGS`: the sector scheme of `sector`.",
        "valid_from": "First day this row is in force.",
        "valid_to": (
            "First day it no longer is (a later document, or the member left); null: no later document."
        ),
        "complete": (
            "True: the index's whole membership is known on these dates (a membership list in force, every "
            "final change list and quarterly IPO addition list since, and every deletion placed among the "
            "members); false: only part of it (`gaps` says what is missing)."
        ),
        "lists_whole": (
            "True where a membership list is in force and the final change lists of every reconstitution "
            "since are stored (what `complete` asks, less the IPO lists and the unplaced deletions): what "
            "the last reconstitution left, which the forecast's `listed_before` reads."
        ),
        "gaps": (
            "What the lake cannot know on these dates (what is missing where `complete` is false and the "
            "lists are whole), `; ` between; null where nothing is missing."
        ),
        "derived_from": (
            "Null for a listed index; for a derived one the two it comes from (`Russell 3000 minus Russell "
            "2000` for the derived Russell 1000)."
        ),
        "base_review": "The review of the membership list the members rest on (null: none in force).",
        "base_path": "That list's path under `raw/`.",
        "source_sha256": "The document in force that prints this row.",
        "source_path": _PATH,
        "source_page": _PAGE,
        "source_line": _LINE,
        "start_date": (
            "First day of the member's interval (membership_history); a derived index: of its run of rows."
        ),
        "end_date": "First day after the interval; null: still a member as far as the documents go.",
        "start_review": "The review the interval opens at (null for a derived index).",
        "opened_by": "`addition`, `listed`, `first_listed` (membership_history), or `derived`.",
        "open_sha256": "The document of the row that opened the interval (null for a derived index).",
        "open_path": "Its path under `raw/`.",
        "open_page": "Its page.",
        "open_line": "Its line on that page.",
    },
    "securities": {
        "security_id": f"The security: {_SECURITY_ID}",
        "cik": "The company's CIK (the SEC's id of a filer); null where no SEC ticker map names the ticker.",
        "company": "The company's latest name as a document prints it (an SEC map's, where one does).",
        "ticker": "The ticker in force from valid_from to valid_to (the lists' form: `BRK.B`).",
        "share_class": "The class letter its ticker or name gives (`BRK.B`: `B`; `Class A`); null: none.",
        "valid_from": (
            "First day the ticker is this security's (its first sighting); null for the first ticker known: "
            "in force since before any evidence."
        ),
        "valid_to": "First day the next ticker is seen; null: still in force as far as the documents go.",
        "first_seen": "The first document date that shows the security under this ticker.",
        "last_seen": "The last document date that shows the security under this ticker.",
        "sightings": "How many document rows and map entries show it under this ticker.",
        "first_kind": "What the first sighting is: `sec_map`, `membership_list`, `addition`, `deletion`, "
        "`universe` or `holdings`.",
        "first_path": "Its document, under `raw/`.",
        "first_page": "Its page (lists); null elsewhere.",
        "first_line": "Its line (an SEC map: its entry).",
        "last_kind": "What the last sighting is.",
        "last_path": "Its document.",
        "last_page": "Its page.",
        "last_line": "Its line.",
    },
    "holdings_reconciliation": {
        "as_of_date": "The holdings file's date.",
        "fund": "The fund, as the file's first line names it.",
        "fund_index": "The index the fund tracks.",
        "compared_with": (
            "The lake's index it was compared with: the fund's own, else the nearest the lake holds that "
            "contains it (the Russell 3000 for a Russell 2000 fund); null where the lake holds none that day."
        ),
        "side": "`fund_only`: the fund holds it and the lake's members lack it; `lake_only`: the reverse.",
        "symbol": "The ticker on the file's date: the fund's (fund_only) or the member's (lake_only).",
        "security_id": _SECURITY,
        "company": "Name, as the fund or the member's document prints it.",
        "reason": "Its likely reason, in words (methodology 2.13).",
        "source_path": "The holdings file (fund_only), or the list that prints the member (lake_only).",
        "source_line": "Its line there.",
    },
    "ticker_changes": {
        "kind": "`renamed` (the security took a new ticker) or `reused` (the ticker passed to another one).",
        "security_id": "The security renamed, or the one the ticker passed to.",
        "previous_security_id": "Reused: the security that held the ticker before; null for a rename.",
        "cik": "The CIK of `security_id`.",
        "company": "Its latest name.",
        "old_ticker": "The ticker before.",
        "new_ticker": "The ticker after.",
        "old_last_seen": "The last date a document shows the old holding: the change came after it ...",
        "new_first_seen": "... and on or before this one, the first date a document shows the new one.",
        "old_path": "The document of the last sighting before.",
        "new_path": "The document of the first sighting after.",
        "evidence": "The change in words: the CIK and the documents that show each ticker.",
    },
    "membership_reconciliation": {
        "recon_year": _YEAR,
        "review": "The reconstitution whose new list is compared.",
        "index_name": _INDEX,
        "previous_review": "The review of the previous membership list.",
        "difference": (
            "`missing_from_list`, `unexpected_in_list`, `deletion_of_non_member` or `addition_of_member`."
        ),
        "cause": (
            "`ipo_addition`, `list_revision`, `contradicts_final_list`, `missing_document` or `unexplained`."
        ),
        "symbol": _SYMBOL,
        "company": _COMPANY,
        "source_sha256": "The document of the row behind the difference.",
        "source_path": _PATH,
        "source_page": _PAGE,
        "source_line": _LINE,
    },
    "membership_reconciliation_summary": {
        "recon_year": _YEAR,
        "review": "The documented reconstitution.",
        "index_name": _INDEX,
        "previous_review": "The review of the previous membership list (null: none).",
        "previous_members": "Members of the previous list (null: none).",
        "additions": "Rows of the final additions list (null: no such list).",
        "deletions": "Rows of the final deletions list (null: no such list).",
        "expected": "Previous list + final additions - final deletions (null: no previous list).",
        "listed": "Members of the new membership list (null: no such list).",
        "differences": "Symbols where expected and listed differ (rows of membership_reconciliation).",
        "unexplained": "Those no document accounts for (`unexplained` or `contradicts_final_list`).",
        "missing_document": "Those a document not stored would account for (`missing_document`).",
        "scope": (
            "`compared`, `no_change_lists` (a list, no change list), `changes_only` or `no_previous_list`."
        ),
        "note": "Which documents are missing.",
    },
    "list_revisions": {
        "recon_year": _YEAR,
        "review": "The review the change list is placed on.",
        "index_name": _INDEX,
        "change": _CHANGE,
        "version": "Position of this version among the list's versions (preliminary, updates, final).",
        "stage": _STAGE,
        "as_of_date": "This version's date.",
        "previous_stage": "The previous version's stage.",
        "previous_as_of_date": "The previous version's date.",
        "revision": "`entered` or `left`: the symbol's change between the two versions.",
        "symbol": _SYMBOL,
        "company": _COMPANY,
        "source_sha256": "The document of the row: the later version for `entered`, the earlier for `left`.",
        "source_path": _PATH,
        "source_page": _PAGE,
        "source_line": _LINE,
    },
    "reconstitution_paths": {
        "recon_year": _YEAR,
        "list_group": (
            "`addition` or `deletion` (the year's final lists, any index), or `index` (the 90/10 index)."
        ),
        "symbol": "Ticker as the list prints it (`index` for the index's path).",
        "session_offset": _SESSION_OFFSET,
        "date": "The NYSE session.",
        "close": "The symbol's close that session (the index: its price-return level).",
        "reference_close": "The symbol's last close on or before rank day.",
        "normalized": "close / reference_close.",
        "price_source": _GROUP_PRICE_SOURCE,
    },
    "reconstitution_effect": {
        "recon_year": _YEAR,
        "list_group": "`addition`, `deletion` or `index` (the 90/10 index's price-return level).",
        "session_offset": _SESSION_OFFSET,
        "date": "The NYSE session.",
        "symbols": "Symbols of the group with a reference close and a close that session.",
        "median": "Median of their close / reference close.",
        "mean": "Mean of their close / reference close.",
        "price_source": _GROUP_PRICE_SOURCE,
    },
}
