"""A real fault in the server's database: a trigger that raises for one marked value.

    fault = TableFault(url, "crm_inquiries", "student_name", "Fault Marker")
    fault.install()      # every INSERT/UPDATE of a row with that value now fails
    fault.hits()         # how often it fired (a sequence: not undone by the rollback)
    fault.remove()       # the database works again

RAISE EXCEPTION is SQLSTATE P0001, which reaches the server as an unexpected error (not an
integrity error), as a bug the server's checks did not foresee would. Nothing in the product
knows about it.
"""

from __future__ import annotations

import psycopg
from psycopg import sql


class TableFault:
    """A trigger on `table` raising whenever `column` is set to `marker`."""

    def __init__(self, url: str, table: str, column: str, marker: str, *,
                 name: str = "test_fault") -> None:
        self.url = url
        self.table = table
        self.column = column
        self.marker = marker
        self.name = name

    def install(self) -> None:
        function = sql.SQL("""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.{column}::text = {marker} THEN
                PERFORM nextval({sequence});
                RAISE EXCEPTION 'the test fault refuses % row %', TG_TABLE_NAME, NEW.id;
              END IF;
              RETURN NEW;
            END $$""").format(function=sql.Identifier(self.name),
                              column=sql.Identifier(self.column),
                              marker=sql.Literal(self.marker),
                              sequence=sql.Literal(f"{self.name}_hits"))
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SEQUENCE IF NOT EXISTS {}").format(
                sql.Identifier(f"{self.name}_hits")))
            conn.execute(function)
            conn.execute(sql.SQL(
                "CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION {function}()").format(
                trigger=sql.Identifier(self.name), table=sql.Identifier(self.table),
                function=sql.Identifier(self.name)))

    def remove(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP TRIGGER {} ON {}").format(
                sql.Identifier(self.name), sql.Identifier(self.table)))
            conn.execute(sql.SQL("DROP FUNCTION {}()").format(sql.Identifier(self.name)))

    def hits(self) -> int:
        """Times the trigger refused a row (0 before the first)."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(sql.SQL("SELECT last_value, is_called FROM {}").format(
                sql.Identifier(f"{self.name}_hits"))).fetchone()
        assert row is not None
        return int(row[0]) if row[1] else 0
