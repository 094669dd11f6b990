"""Command line: ``python -m portal migrate | seed | serve | makemigration | check-migrations |
create-staff | link-doctor | unlock-staff | create-api-client | list-api-clients |
retire-api-client | import-timetable | import-bills | settle-payments | payments-report |
record-no-shows | release-places``."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime
from typing import Any

import click

from portal.core.touchpoints import Role


@click.group()
def cli() -> None:
    """Yimatong portal administration."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
def migrate() -> None:
    """Apply every pending database migration."""
    from portal.db.migrate import upgrade

    upgrade()
    click.echo("database is up to date")


@cli.command()
def seed() -> None:
    """Add the demo data (once; an already seeded database is kept)."""
    from portal.app import seed_demo
    from portal.settings import SettingsError, get_settings

    try:
        created = asyncio.run(seed_demo(get_settings()))
    except SettingsError as exc:
        click.echo(f"refusing to seed: {exc}", err=True)
        raise SystemExit(2) from exc
    click.echo("demo data created" if created else "demo data already present")


@cli.command()
@click.option(
    "--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1"
)
@click.option(
    "--port", default=lambda: int(os.environ.get("PORT", "8000")), type=int, show_default="8000"
)
@click.option(
    "--workers",
    default=1,
    type=int,
    help="App processes (use Redis and PostgreSQL for more than 1).",
)
@click.option("--reload", is_flag=True, help="Restart when code changes (development).")
@click.option(
    "--server",
    type=click.Choice(["uvicorn", "granian"]),
    default=lambda: os.environ.get("PORTAL_SERVER", "uvicorn"),
    show_default="uvicorn",
    help="The ASGI server (docs/benchmarks.md compares them).",
)
def serve(host: str, port: int, workers: int, reload: bool, server: str) -> None:
    """Serve the portal (uvicorn, or granian)."""
    from portal.settings import SettingsError, get_settings, is_loopback

    if reload:  # editing: templates and static files are looked at on every page
        os.environ["PORTAL_RELOAD_TEMPLATES"] = "1"
    os.environ.setdefault("PORTAL_FREEZE_HEAP", "1")
    os.environ["PORTAL_PROCESSES"] = str(workers)
    settings = get_settings()
    try:
        settings.check_exposure(host)
        if settings.app.is_production or not is_loopback(host):
            published = _published_clients()
            if published:
                raise SettingsError(
                    f"the API clients {', '.join(published)} hold the demo's published tokens; "
                    f"retire them (retire-api-client NAME) before listening on {host}"
                )
    except SettingsError as exc:
        click.echo(f"refusing to serve: {exc}", err=True)
        raise SystemExit(2) from exc
    if server == "granian":
        from granian import Granian
        from granian.constants import Interfaces

        Granian(
            "portal.app:create_app",
            factory=True,
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            reload=reload,
            log_access=settings.app.access_log,
        ).serve()
        return

    import uvicorn

    uvicorn.run(
        "portal.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        timeout_graceful_shutdown=5,
        log_level="info",
        access_log=settings.app.access_log,
    )


@cli.command()
@click.argument("message")
def makemigration(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from portal.db.migrate import make_migration

    make_migration(message)


@cli.command("check-migrations")
def check_migrations() -> None:
    """Fail if a model change has no migration."""
    from portal.db.migrate import check

    check()
    click.echo("migrations match the models")


@cli.command("create-staff")
@click.argument("username")
@click.option(
    "--name", "display_name", required=True, help="Name shown on screens, e.g. 护士 周敏."
)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--touchpoint", "touchpoints", multiple=True, help="A desk this person works at (repeatable)."
)
@click.option("--room", default=None, help="Consulting room, for doctors.")
@click.option(
    "--doctor",
    "doctor_code",
    default=None,
    help="For doctors: their code in the hospital's timetable (e.g. D102); their console runs "
    "the queues of their own sessions.",
)
@click.password_option(envvar="PORTAL_NEW_STAFF_PASSWORD")
def create_staff(
    username: str,
    display_name: str,
    role: str,
    touchpoints: tuple[str, ...],
    room: str | None,
    doctor_code: str | None,
    password: str,
) -> None:
    """Create a staff account (the password is asked for, or read from PORTAL_NEW_STAFF_PASSWORD)."""
    from portal.core.touchpoints import Touchpoint
    from portal.staff.services import StaffService

    async def create() -> None:
        async with _session() as session:
            await StaffService(session=session).create_staff(
                username=username,
                display_name=display_name,
                password=password,
                role=Role(role),
                touchpoints=[Touchpoint(t) for t in touchpoints],
                room=room,
                doctor_code=doctor_code,
            )

    asyncio.run(create())
    click.echo(f"staff account {username} created")


@cli.command("unlock-staff")
@click.argument("username")
def unlock_staff_command(username: str) -> None:
    """Lift the lock wrong passwords put on a staff username (audited), e.g. when the only
    administrator is the one locked out."""
    from portal.audit.services import Actor
    from portal.core.clock import Clock
    from portal.settings import get_settings
    from portal.staff.lockout import unlock

    settings = get_settings()
    clock = Clock(settings.i18n.zone, settings.app.clock_offset_seconds)

    async def lift() -> bool:
        async with _session() as session:
            return await unlock(
                session,
                username.strip().lower(),
                Actor(kind="system", id=None, name="command line"),
                clock.now(),
            )

    if asyncio.run(lift()):
        click.echo(f"{username} is unlocked")
    else:
        click.echo(f"{username} was not locked")


@cli.command("link-doctor")
@click.argument("username")
@click.argument("doctor_code")
def link_doctor_command(username: str, doctor_code: str) -> None:
    """Name the doctor (their code in the hospital's timetable, e.g. D102) a doctor's staff
    account belongs to: their console then runs the queues of that doctor's sessions."""
    from portal.core.errors import RuleError
    from portal.staff.services import StaffService

    async def link() -> None:
        async with _session() as session:
            await StaffService(session).link_doctor(username.strip().lower(), doctor_code.strip())

    try:
        asyncio.run(link())
    except RuleError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{username} is doctor {doctor_code}")


@cli.command("create-api-client")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help="timetable:write, bills:write, fhir:write, scan:<touchpoint> or scan:* (repeatable).",
)
@click.option(
    "--token",
    envvar="PORTAL_NEW_CLIENT_TOKEN",
    default=None,
    help="Development and tests only: use this token instead of a new random one.",
)
def create_api_client(name: str, scopes: tuple[str, ...], token: str | None) -> None:
    """Register a hospital system or scanner; prints its bearer token once."""
    from portal.api.services import create_client
    from portal.core.errors import RuleError
    from portal.settings import get_settings

    if token is not None and get_settings().app.is_production:
        raise click.ClickException("a chosen token is for development; production gets a new one")

    async def create() -> str:
        async with _session() as session:
            made = await create_client(session, name, scopes, token=token)
            await session.commit()
            return made

    try:
        click.echo(asyncio.run(create()))
    except RuleError as exc:
        raise click.ClickException(exc.message) from exc


@cli.command("list-api-clients")
def list_api_clients() -> None:
    """The registered clients, their scopes and whether their token still works."""
    from portal.api.services import list_clients

    async def read() -> list[Any]:
        async with _session() as session:
            return await list_clients(session)

    for client in asyncio.run(read()):
        state = "active" if client.active else "retired"
        click.echo(f"{client.name}\t{state}\t{' '.join(client.scopes)}")


@cli.command("retire-api-client")
@click.argument("name")
def retire_api_client(name: str) -> None:
    """Stop a client's token working at once (a lost scanner, a replaced system)."""
    from portal.api.services import retire_client
    from portal.core.errors import NotFound

    async def retire() -> None:
        async with _session() as session:
            await retire_client(session, name)
            await session.commit()

    try:
        asyncio.run(retire())
    except NotFound as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{name} is retired")


def _published_clients() -> list[str]:
    """Active API clients that still hold a published demo token (none on a database that
    was never seeded; an unmigrated one has no clients at all)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from portal.api.seed import PUBLISHED_TOKENS
    from portal.api.services import active_with_tokens

    async def read() -> list[str]:
        async with _session() as session:
            try:
                return await active_with_tokens(session, PUBLISHED_TOKENS)
            except (OperationalError, ProgrammingError) as exc:
                # No api_client table yet (not migrated): nothing to refuse. Anything else —
                # the database unreachable — stops the server as it would on start-up.
                if "api_client" not in str(exc):
                    raise
                return []

    return asyncio.run(read())


def _session() -> Any:
    """A database session outside the web app (CLI commands)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from portal.app import load_models
    from portal.db.engine import create_engine
    from portal.settings import get_settings

    load_models()
    return async_sessionmaker(create_engine(get_settings().db), expire_on_commit=False)()


@cli.command("import-timetable")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
def import_timetable_command(path: str) -> None:
    """Import departments, doctors and sessions from a JSON file (the API's format)."""
    import msgspec

    from portal.booking.cli import import_file

    try:
        result = asyncio.run(import_file(path))
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
        raise click.ClickException(f"{path} is not a valid timetable: {exc}") from exc
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"departments: {result.departments_created} new, {result.departments_updated} updated; "
        f"doctors: {result.doctors_created} new, {result.doctors_updated} updated; "
        f"sessions: {result.sessions_created} new, {result.sessions_updated} updated; "
        f"slots: {result.slots_created} new, {result.slots_updated} updated, "
        f"{result.slots_removed} removed"
    )
    for warning in result.warnings:
        click.echo(f"warning: {warning}")


@cli.command("import-bills")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
def import_bills_command(path: str) -> None:
    """Add or update bills from a JSON file (the format of POST /api/v1/bills), audited as the
    command line."""
    import msgspec

    from portal.payments.cli import import_file
    from portal.payments.imports import BillsRefused

    try:
        result = asyncio.run(import_file(path))
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
        raise click.ClickException(f"{path} is not a valid bills file: {exc}") from exc
    except BillsRefused as exc:
        raise click.ClickException("; ".join(map(str, exc.problems))) from exc
    click.echo(
        f"bills: {result.created} new, {result.updated} updated, {result.unchanged} unchanged"
    )


@cli.command("record-no-shows")
def record_no_shows_command() -> None:
    """Mark appointments whose time ended without a check-in as missed."""
    from portal.booking.cli import record_no_shows

    click.echo(f"{asyncio.run(record_no_shows())} appointments marked as missed")


@cli.command("settle-payments")
def settle_payments_command() -> None:
    """Ask the gateway about open orders (settling those paid) and send the refunds asked for."""
    from portal.payments.cli import settle_payments

    done = asyncio.run(settle_payments())
    click.echo(
        f"{done.asked} orders asked about: {done.captured} paid, {done.closed} closed; "
        f"{done.refunds_sent} refunds sent"
    )


@cli.command("payments-report")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day (default: today).")
def payments_report_command(day: Any) -> None:
    """The day's reconciliation: what we took and sent back, against the gateway's records.
    Exit status 1 when they differ."""
    from portal.payments.cli import report_day
    from portal.settings import get_settings

    settings = get_settings()
    wanted = day.date() if day else datetime.now(settings.i18n.zone).date()
    report = asyncio.run(report_day(wanted, settings))
    click.echo(f"{report.day}: {report.orders} orders")
    click.echo(
        f"  taken:    ours {report.captured_cents / 100:.2f}, gateway {report.gateway_captured_cents / 100:.2f}"
    )
    click.echo(
        f"  refunded: ours {report.refunded_cents / 100:.2f}, gateway {report.gateway_refunded_cents / 100:.2f}"
    )
    for line in report.differences:
        click.echo(f"  DIFFERENT {line}")
    click.echo("  balanced" if report.balanced else f"  {len(report.differences)} differences")
    raise SystemExit(0 if report.balanced else 1)


@cli.command("release-places")
def release_places_command() -> None:
    """Expire unanswered waitlist offers and put returned places back on sale when due."""
    from portal.booking.cli import release_places

    done = asyncio.run(release_places())
    click.echo(
        f"{done.offers_expired} offers expired, {done.places_released} places passed on, "
        f"{done.entries_closed} waiting entries closed"
    )


if __name__ == "__main__":
    cli()
