"""End to end: a catalog imported through the CLI, then scanned in the TUI."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pos.cli import cli
from pos.domain.clock import FixedClock, SequentialIds
from pos.factory import make_app
from pos.widgets import CartTable, TotalsPanel
from tests.ui.helpers import scan


async def test_import_then_scan(tmp_path: Path, clock: FixedClock) -> None:
    db = tmp_path / "shop.sqlite"
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "barcode,name,price,tax_rate,unit\n"
        "5000112637922,Cola 330ml,0.90,20,each\n"
        "036000291452,Tomato soup 400g,1.10,0,each\n"
        "2200001000001,Cheddar by weight,8.00,0,kg\n"
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--db", str(db)]).exit_code == 0
    result = runner.invoke(cli, ["products", "import", "--db", str(db), str(catalog)])
    assert result.output.strip() == "imported 3 products: 3 new, 0 updated"
    result = runner.invoke(
        cli,
        [
            "operators",
            "add",
            "--db",
            str(db),
            "--number",
            "42",
            "--name",
            "Alex",
            "--role",
            "cashier",
        ],
        input="8264\n",
    )
    assert result.output.strip() == "added cashier 42 (Alex)"

    app = make_app(db, clock=clock, ids=SequentialIds())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4", "2", "enter", "8", "2", "6", "4", "enter")
        await pilot.pause()
        await scan(pilot, "5000112637922")
        await scan(pilot, "5000112637922")
        await scan(pilot, "036000291452")  # UPC-A as the scanner reports it
        await scan(pilot, "2200001004504")  # cheddar, 0.450 kg on the label
        table = app.screen.query_one(CartTable)
        rows = [[str(c).strip() for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows == [
            ["1", "Cola 330ml", "2", "0.90", "1.80"],
            ["2", "Tomato soup 400g", "1", "1.10", "1.10"],
            ["3", "Cheddar by weight", "0.450kg", "8.00", "3.60"],
        ]
        assert app.screen.query_one(TotalsPanel).items == 4
        assert app.screen.query_one(TotalsPanel).shown_total == "6.50"
