"""Reading a CRM export: mapping files, value words, and one clear error per bad input."""

import pytest

from sim.calibration import CrmError, read_crm

pytestmark = pytest.mark.unit

LEADS = """lead_id,created_at,source,segment,mql_at,first_touch_at,owner,status,closed_at,amount
L1,2024-01-02 09:00,Paid Search,SMB,2024-01-03 10:00,2024-01-03 11:30,ann,won,2024-02-10,"$1,200.00"
L2,2024-01-05 10:00,Web,Mid-Market,,,bob,lost,2024-01-20,
L3,2024-02-01 08:00,Referral,Enterprise,2024-02-02 08:00,,ann,open,,
"""

OPPS = """opportunity_id,lead_id,created_at,stage,closed_at,amount
O1,L1,2024-01-04,Closed Won,2024-02-10,1200
O3,L3,2024-02-05,Proposal,,50000
"""

HISTORY = """opportunity_id,stage,entered_at
O1,Discovery,2024-01-04
O1,Closed Won,2024-02-10
O3,Discovery,2024-02-05
O3,Proposal,2024-02-20
"""


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_leads_opportunities_and_history(tmp_path):
    t = read_crm(write(tmp_path, "leads.csv", LEADS), write(tmp_path, "opps.csv", OPPS),
                 stage_history_csv=write(tmp_path, "history.csv", HISTORY))
    assert t.origin.isoformat() == "2024-01-02T00:00:00"
    leads = t.leads.set_index("lead_id")
    assert leads.loc["L1", "created"] == pytest.approx(9 / 24)
    assert leads.loc["L1", "source"] == "promotion"
    assert leads.loc["L2", "source"] == "organic"
    assert leads.loc["L2", "segment"] == "mid_market"
    assert leads.loc["L1", "amount"] == 1200.0
    assert list(leads["status"]) == ["won", "lost", "open"]
    opps = t.opportunities.set_index("opportunity_id")
    assert opps.loc["O1", "status"] == "won"  # read from the stage
    assert opps.loc["O3", "stage"] == "proposal"
    assert opps.loc["O3", "segment"] == "enterprise"  # from its lead
    assert t.as_of == pytest.approx(t.day("2024-02-21"))
    assert "opportunities.created_at" in t.date_only
    assert "leads.created_at" not in t.date_only


def test_mapping_file_renames_columns_and_values(tmp_path):
    leads = write(tmp_path, "leads.csv", "Lead ID;Create Date;Lead Source;Lead Status\n"
                  "A;31/01/2024;Google Ads;Converted\nB;01/02/2024;Partner;Working\n")
    mapping = write(tmp_path, "map.yaml", "leads:\n  lead_id: Lead ID\n"
                    "  created_at: Create Date\n  source: Lead Source\n  status: Lead Status\n"
                    "values:\n  status: {Converted: won}\n  source: {partner: promotion}\n")
    t = read_crm(leads, mapping=mapping)
    assert list(t.leads["status"]) == ["won", "open"]
    assert list(t.leads["source"]) == ["promotion", "promotion"]
    assert t.leads["created"].iloc[1] == pytest.approx(1.0)  # 31 Jan, then 1 Feb: day-first
    assert any("read as open: Working" in note for note in t.notes)


def test_dates_option_settles_ambiguous_dates(tmp_path):
    leads = write(tmp_path, "leads.csv", "lead_id,created_at\nA,03/04/2024\nB,05/04/2024\n")
    t = read_crm(leads, dates="month_first")
    assert t.origin.isoformat() == "2024-03-04T00:00:00"


def expect(tmp_path, files, match, row=None, column=None, **options):
    paths = {name: write(tmp_path, name, text) if isinstance(text, str) else text
             for name, text in files.items()}
    leads = paths.pop("leads.csv")
    with pytest.raises(CrmError) as info:
        read_crm(leads, paths.get("opps.csv"), paths.get("spend.csv"),
                 mapping=paths.get("map.yaml"),
                 stage_history_csv=paths.get("history.csv"), **options)
    err = info.value
    message = str(err)
    assert "\n" not in message
    assert match in message
    assert row is None or err.row == row
    assert column is None or err.column == column
    assert err.file.endswith(next(n for n in ("leads.csv", "opps.csv", "spend.csv", "map.yaml",
                                              "history.csv") if err.file.endswith(n)))
    return err


def test_missing_required_column(tmp_path):
    err = expect(tmp_path, {"leads.csv": "id,created_at\nA,2024-01-01\n"},
                 "required column missing", row=1, column="lead_id")
    assert "'id'" in str(err)


def test_unparseable_date(tmp_path):
    expect(tmp_path, {"leads.csv": "lead_id,created_at\nA,2024-01-01\nB,yesterday\n"},
           "cannot read 'yesterday' as a date", row=3, column="created_at")


def test_duplicate_id(tmp_path):
    expect(tmp_path, {"leads.csv": "lead_id,created_at\nA,2024-01-01\nB,2024-01-02\n"
                      "A,2024-01-03\n"}, "duplicate id 'A' (first at row 2)", row=4,
           column="lead_id")


def test_negative_amount(tmp_path):
    expect(tmp_path, {"leads.csv": "lead_id,created_at,amount\nA,2024-01-01,100\n"
                      "B,2024-01-02,-5\n"}, "negative amount '-5'", row=3, column="amount")


def test_close_before_creation(tmp_path):
    expect(tmp_path, {"leads.csv": "lead_id,created_at,closed_at\nA,2024-01-10,2024-01-05\n"},
           "is before the creation", row=2, column="closed_at")


def test_close_before_creation_of_an_opportunity(tmp_path):
    expect(tmp_path, {"leads.csv": "lead_id,created_at\nA,2024-01-01\n",
                      "opps.csv": "opportunity_id,created_at,closed_at\n"
                      "O,2024-02-10,2024-02-01\n"},
           "is before the creation", row=2, column="closed_at")


@pytest.mark.parametrize("text", ["", "   \n", "lead_id,created_at\n"])
def test_empty_file(tmp_path, text):
    expect(tmp_path, {"leads.csv": text}, "the file ", column=None)


def test_non_utf8_bytes(tmp_path):
    path = write(tmp_path, "leads.csv", "lead_id,created_at,company\nA,2024-01-01,Caf\xe9\n",
                 encoding="latin-1")
    err = expect(tmp_path, {"leads.csv": path}, "byte 0xE9 is not utf-8 text", row=2,
                 column="company")
    assert "UTF-8" in str(err)


def test_encoding_named_in_the_mapping_is_used(tmp_path):
    leads = write(tmp_path, "leads.csv", "lead_id,created_at,owner\nA,2024-01-01,Jos\xe9\n",
                  encoding="latin-1")
    mapping = write(tmp_path, "map.yaml", "encoding: latin-1\n")
    assert read_crm(leads, mapping=mapping).leads["owner"].iloc[0] == "Jos\u00e9"


def test_mapping_naming_an_unknown_column(tmp_path):
    err = expect(tmp_path, {"leads.csv": "lead_id,created_at\nA,2024-01-01\n",
                            "map.yaml": "leads:\n  created_at: Create Date\n"},
                 "named by", row=1, column="Create Date")
    assert err.file.endswith("leads.csv")
    assert "map.yaml" in str(err)


def test_mapping_with_a_misspelt_key(tmp_path):
    err = expect(tmp_path, {"leads.csv": "lead_id,created_at\nA,2024-01-01\n",
                            "map.yaml": "leads:\n  created: Create Date\n"},
                 "did you mean created_at?", column="leads.created")
    assert err.file.endswith("map.yaml")


def test_conflicting_date_orders(tmp_path):
    expect(tmp_path, {"leads.csv": "lead_id,created_at\nA,31/01/2024\nB,01/31/2024\n"},
           "month-first date", row=3, column="created_at")


def test_ambiguous_dates_ask_for_the_option(tmp_path):
    expect(tmp_path, {"leads.csv": "lead_id,created_at\nA,03/04/2024\n"}, "pass --dates",
           row=2, column="created_at")


def test_too_many_values_in_a_row(tmp_path):
    expect(tmp_path, {"leads.csv": "lead_id,created_at\nA,2024-01-01,x\n"}, "has 3 values",
           row=2)


def test_unreadable_amount(tmp_path):
    expect(tmp_path, {"leads.csv": "lead_id,created_at,amount\nA,2024-01-01,lots\n"},
           "as an amount", row=2, column="amount")


def test_missing_file(tmp_path):
    with pytest.raises(CrmError, match="no such file"):
        read_crm(tmp_path / "nope.csv")


def test_spend_weeks_cover_the_gap_to_the_next(tmp_path):
    leads = write(tmp_path, "leads.csv", "lead_id,created_at\nA,2024-01-01\n")
    spend = write(tmp_path, "spend.csv", "week_start,brand,promotion\n2024-01-01,700,1400\n"
                  "2024-01-08,\"1,400\",0\n")
    t = read_crm(leads, spend_csv=spend)
    assert list(t.spend["days"]) == [7.0, 7.0]
    assert list(t.spend["brand"]) == [700.0, 1400.0]


def test_salesforce_mapping_reads_a_salesforce_shaped_export(tmp_path):
    leads = write(tmp_path, "leads.csv",
                  "Lead ID,Create Date,Lead Source,Segment,MQL Date,First Response,Lead Owner,"
                  "Lead Status,Last Modified Date\n"
                  "00Q1,1/30/2024 9:15 AM,Paid Search,Mid-Market,1/31/2024 10:00 AM,"
                  "1/31/2024 11:00 AM,Ann Lee,Closed - Converted,\n"
                  "00Q2,2/1/2024 3:00 PM,Web,SMB,,,Bo Chan,Closed - Not Converted,2/13/2024\n")
    opps = write(tmp_path, "opps.csv",
                 "Opportunity ID,Original Lead ID,Created Date,Stage,Close Date,Amount,Discount,"
                 "Opportunity Owner,Segment\n"
                 "0061,00Q1,2/2/2024,Closed Won,3/15/2024,\"$12,500.00\",10%,Ann Lee,Mid-Market\n")
    history = write(tmp_path, "history.csv", "Opportunity ID,To Stage,Last Modified\n"
                    "0061,Prospecting,2/2/2024\n0061,Qualification,2/5/2024\n"
                    "0061,Value Proposition,2/20/2024\n0061,Closed Won,3/15/2024\n")
    t = read_crm(leads, opps, mapping="scenarios/crm/salesforce.yaml",
                 stage_history_csv=history)
    assert list(t.leads["status"]) == ["open", "lost"]
    assert list(t.leads["source"]) == ["promotion", "organic"]
    assert t.leads["segment"].iloc[0] == "mid_market"
    assert t.opportunities["discount"].iloc[0] == pytest.approx(0.10)
    assert t.opportunities["amount"].iloc[0] == 12_500.0
    # Prospecting and Qualification are both discovery: one passage.
    assert list(t.stage_history["stage"]) == ["discovery", "solution", "closed_won"]


def test_hubspot_mapping_is_valid():
    from sim.calibration.mapping import read_mapping

    mapping = read_mapping("scenarios/crm/hubspot.yaml")
    assert mapping.columns["leads"]["mql_at"] == "Became a Marketing Qualified Lead Date"
    assert mapping.values["source"]["paid search"] == "promotion"
