"""`server` and `client`: the replicated key-value service on the same core."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from raftcheck.cli.options import flag_error, given, settings_from_flags, settings_options
from raftcheck.cli.output import fail
from raftcheck.errors import SettingsError
from raftcheck.settings import SERVICE_SECTION, Service, from_tables, service_fields

SERVICE_FIELDS = service_fields()


@click.command()
@click.argument("address")
@click.option("--bootstrap", is_flag=True, help="Wait to be added with AddServer instead of forming a cluster.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where term, vote and log live.")
@click.option("--cluster-id", default="default", show_default=True,
              help="The cluster's name; every peer message carries it, and the data dir remembers it.")
@click.option("--secret-file", type=click.Path(dir_okay=False),
              help="File holding the cluster's shared secret (default: $RAFTCHECK_CLUSTER_SECRET).")
@click.option("--client-token-file", type=click.Path(dir_okay=False),
              help="File holding the token clients must send (default: $RAFTCHECK_CLIENT_TOKEN; none: open).")
@click.option("--record", "record_dir", type=click.Path(file_okay=False),
              help="Record every input to the core and what it sent, for `raftcheck validate DIR`.")
@click.option("--fault-injection", is_flag=True,
              help="Tests only: serve POST /test/partition, which cuts links to and from peers.")
@settings_options(SERVICE_FIELDS)
def server(address, bootstrap, data_dir, cluster_id, secret_file, client_token_file, record_dir, fault_injection,
           **values) -> None:
    """Run one node of the replicated key-value service at ADDRESS (HOST:PORT).

    Peers authenticate each other with the cluster secret, which is read from a
    file or the environment, never from the command line.
    """
    from raftcheck.service.auth import TOKEN_ENV, AuthError, PeerKey, read_secret
    from raftcheck.service.server import node_id, params_for, serve
    from raftcheck.service.storage import StorageError

    try:
        me = node_id(address)
    except ValueError as error:
        fail(str(error))
    chosen = given(values, SERVICE_FIELDS)
    own = {f.name for f in SERVICE_FIELDS if f.section == SERVICE_SECTION}
    try:
        clock = from_tables({k: list(v) if isinstance(v, tuple) else v for k, v in chosen.items() if k in own}, Service)
    except SettingsError as error:
        raise flag_error(SettingsError(f"{SERVICE_SECTION}.{error.key}", error.detail)) from None
    shared = settings_from_flags({k: v for k, v in chosen.items() if k not in own})
    low, high = clock.election_timeout_ms
    if not low <= high or clock.heartbeat_ms >= low:
        fail("--election-timeout-ms needs LOW <= HIGH, and --heartbeat-ms must be below LOW")
    try:
        secret = read_secret(secret_file)
        if secret is None:
            fail("no cluster secret: put one (16 bytes or more) in $RAFTCHECK_CLUSTER_SECRET or --secret-file")
        key = PeerKey(secret, cluster_id)
        client_token = read_secret(client_token_file, TOKEN_ENV, "client token")
    except AuthError as error:
        fail(str(error))
    directory = Path(data_dir or Path("raftcheck-data") / me.replace(":", "_"))
    try:
        asyncio.run(serve(address, bootstrap, directory, params_for(clock, shared), clock.tick_ms, key, client_token,
                          fault_injection, Path(record_dir) if record_dir else None))
    except StorageError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot serve on {me}: {error.strerror or error}")

@click.command()
@click.argument("address")
@click.argument("command", type=click.Choice(["set", "get", "add-server", "remove-server", "status"]))
@click.argument("args", nargs=-1)
def client(address, command, args) -> None:
    """Talk to the cluster through any node at ADDRESS; follows the leader itself.

    \b
    client ADDRESS set KEY VALUE
    client ADDRESS get KEY
    client ADDRESS add-server HOST:PORT
    client ADDRESS remove-server HOST:PORT
    client ADDRESS status
    """
    arity = {"set": 2, "get": 1, "add-server": 1, "remove-server": 1, "status": 0}[command]
    if len(args) != arity:
        fail(f"{command} takes {arity} argument{'s' if arity != 1 else ''}, got {len(args)}")
    from raftcheck.service.client import ServiceError
    from raftcheck.service.address import node_id

    try:
        target = node_id(address)
        if command in ("add-server", "remove-server"):
            args = (node_id(args[0]),)
    except ValueError as error:
        fail(str(error))
    try:
        code = asyncio.run(_client(target, command, args))
    except ServiceError as error:
        fail(str(error), code=1)
    sys.exit(code)


async def _client(target: str, command: str, args: tuple[str, ...]) -> int:
    import aiohttp

    from raftcheck.service.client import ServiceClient, ServiceError

    timeout = aiohttp.ClientTimeout(total=12)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        service = ServiceClient(session, target)
        if command == "status":
            return await _print_status(service, target)
        if command == "set":
            reply = await service.set(*args)
        elif command == "get":
            reply = await service.get(*args)
        elif command == "add-server":
            reply = await service.add_server(*args)
        else:
            reply = await service.remove_server(*args)
        if reply.get("status") != "ok":
            raise ServiceError(f"{command} failed: {reply.get('status')}")
        if command == "get":
            if reply.get("result") is None:
                click.echo(f"{args[0]} is not set", err=True)
                return 1
            click.echo(reply["result"])
        else:
            click.echo("ok")
        return 0


async def _print_status(service, target: str) -> int:
    import aiohttp

    from raftcheck.service.client import ServiceError

    try:
        first = await service.status(target)
    except (aiohttp.ClientError, OSError) as error:
        raise ServiceError(f"{target} unreachable ({type(error).__name__})") from None
    width = max(len(n) for n in first["configuration"] + [target])
    click.echo(f"{'node':<{width}}  role       term  leader{' ' * (width - 6)}  commit  log  configuration")
    for node in sorted(set(first["configuration"]) | {target}):
        try:
            s = await service.status(node)
        except (aiohttp.ClientError, OSError):
            click.echo(f"{node:<{width}}  unreachable")
            continue
        click.echo(
            f"{node:<{width}}  {s['role']:<9}  {s['term']:>4}  {str(s['leader'] or '-'):<{width}}  "
            f"{s['commit_index']:>6}  {s['last_log_index']:>3}  {','.join(s['configuration'])}"
        )
    return 0



COMMANDS = (server, client)
