"""``events_seats_take``: every seat one person needs, in one call, on PostgreSQL.

See ``events.seats.seats_take``. The function runs the conditional UPDATEs that guard R2-R5 in
the lock order of every seat-moving transaction (the seminar's row first) and stops at the first
that fails. With ``refuse`` it raises instead of returning, so that a transaction can send it and
its COMMIT in one round trip: the COMMIT then becomes a rollback. SQLite runs the same steps as
separate statements in Python and needs nothing here.
"""

from django.db import migrations

SEATS_TAKE = """
CREATE OR REPLACE FUNCTION events_seats_take(
    p_seminar bigint,
    p_day bigint,
    p_sessions bigint[],
    p_company bigint,
    p_open_at timestamptz,
    p_refuse boolean
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    company_limit integer;
    sessions_taken integer;
    full_step text;
BEGIN
    UPDATE events_seminar SET confirmed_count = confirmed_count + 1
    WHERE id = p_seminar AND confirmed_count < capacity
        AND (p_open_at IS NULL OR (is_published AND registration_opens_at <= p_open_at
            AND registration_closes_at > p_open_at))
    RETURNING per_company_limit INTO company_limit;
    IF NOT FOUND THEN
        full_step := 'seminar';
    ELSIF p_day IS NOT NULL THEN
        UPDATE events_workshopday SET confirmed_count = confirmed_count + 1
        WHERE id = p_day AND confirmed_count < capacity;
        IF NOT FOUND THEN
            full_step := 'day';
        END IF;
    END IF;
    IF full_step IS NULL AND cardinality(p_sessions) > 0 THEN
        UPDATE events_breakoutsession SET confirmed_count = confirmed_count + 1
        WHERE id = ANY (p_sessions) AND confirmed_count < capacity;
        GET DIAGNOSTICS sessions_taken = ROW_COUNT;
        IF sessions_taken < cardinality(p_sessions) THEN
            full_step := 'sessions';
        END IF;
    END IF;
    IF full_step IS NULL THEN
        INSERT INTO events_companyallocation AS allocation (seminar_id, company_id, confirmed_count)
        VALUES (p_seminar, p_company, 1)
        ON CONFLICT (seminar_id, company_id) DO UPDATE
        SET confirmed_count = allocation.confirmed_count + 1
        WHERE allocation.confirmed_count < company_limit;
        IF NOT FOUND THEN
            full_step := 'company';
        END IF;
    END IF;
    IF full_step IS NOT NULL AND p_refuse THEN
        RAISE EXCEPTION 'events_seats_take: %', full_step USING ERRCODE = 'P0001';
    END IF;
    RETURN full_step;
END
$$;
"""

SEATS_TAKE_DROP = (
    "DROP FUNCTION IF EXISTS events_seats_take(bigint, bigint, bigint[], bigint, timestamptz, "
    "boolean);"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEATS_TAKE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEATS_TAKE_DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("events", "0011_roles_reports")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
