"""HTTP JSON control API for tests and demos (aiohttp, its own port).

=======  ===========================  ==============================================
GET      /status                      ports, connections, calls, members, generator
GET      /actions[?name=Originate]    AMI actions received (name + fields), oldest first
DELETE   /actions                     forget them
GET      /calls                       active calls;  GET /channels, GET /members
GET      /calls/{id}                  a scenario call started here: state and result
POST     /scenarios/{scenario}        start one (JSON body = parameters); ``"wait": true``
                                      answers when it has ended, with its result
POST     /connections/drop            abort every AMI connection (calls go on)
POST     /silent                      stop writing anything (``{"hold": true}``: deliver later)
POST     /resume                      write again
POST     /members/pause               ``{"interface", "paused", "reason"}``
GET      /numbers                     the customers' numbers with a behaviour of their own, and ``default``
PUT      /numbers/{number}            how a number reacts from the next call on (NumberBehavior fields, e.g.
                                      ``{"outcome": "answer", "keys": ["", "4"]}``; others: defaults)
DELETE   /numbers/{number}            the number behaves as the default again
POST     /generator/start             ``{"calls_per_minute"|"calls_per_second", "seed", "callers"}``
POST     /generator/stop
=======  ===========================  ==============================================
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:  # pragma: no cover
    from .simulator import Simulator

SIM_KEY = web.AppKey("simulator", object)


def _sim(request: web.Request) -> Simulator:
    return request.app[SIM_KEY]


async def _body(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"invalid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


async def status(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).status())


async def list_actions(request: web.Request) -> web.Response:
    name = request.query.get("name")
    sim = _sim(request)
    return web.json_response(sim.actions_named(name) if name else sim.actions)


async def clear_actions(request: web.Request) -> web.Response:
    _sim(request).clear_actions()
    return web.json_response({"cleared": True})


async def calls(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).active_calls())


async def channels(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).channels())


async def members(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).members())


def _handle_json(handle) -> dict:
    return {"id": handle.call.id, "linkedid": handle.linkedid, "channel": handle.channel,
            "finished": handle.finished, "result": handle.result}


async def call_detail(request: web.Request) -> web.Response:
    wanted = int(request.match_info["id"])
    for handle in _sim(request).calls:
        if handle.call.id == wanted:
            return web.json_response(_handle_json(handle))
    raise web.HTTPNotFound(text="no such call")


async def scenario(request: web.Request) -> web.Response:
    params = await _body(request)
    wait = bool(params.pop("wait", False))
    timeout = params.pop("timeout", None)
    if "caller_id" in params and isinstance(params["caller_id"], list):
        params["caller_id"] = tuple(params["caller_id"])
    try:
        handle = _sim(request).start_scenario(request.match_info["scenario"], **params)
    except (KeyError, TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    await handle.started()
    if wait:
        try:
            await handle.wait(timeout)
        except asyncio.TimeoutError as exc:
            raise web.HTTPGatewayTimeout(text="scenario still running") from exc
    return web.json_response(_handle_json(handle))


async def drop(request: web.Request) -> web.Response:
    return web.json_response({"dropped": await _sim(request).drop_connections()})


async def silent(request: web.Request) -> web.Response:
    body = await _body(request)
    _sim(request).go_silent(hold=bool(body.get("hold", False)))
    return web.json_response({"silent": True})


async def resume(request: web.Request) -> web.Response:
    _sim(request).resume()
    return web.json_response({"silent": False})


async def pause(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        _sim(request).set_paused(body["interface"], bool(body.get("paused", True)), body.get("reason", ""))
    except KeyError as exc:
        raise web.HTTPBadRequest(text=f"unknown or missing interface: {exc}") from exc
    return web.json_response({"members": _sim(request).members()})


async def numbers(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).numbers())


async def set_number(request: web.Request) -> web.Response:
    body = await _body(request)
    number = request.match_info["number"]
    try:
        behavior = _sim(request).set_number(number, **body)
    except (TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response({number: dataclasses.asdict(behavior)})


async def forget_number(request: web.Request) -> web.Response:
    if not _sim(request).forget_number(request.match_info["number"]):
        raise web.HTTPNotFound(text="no behaviour of its own for that number")
    return web.json_response({"forgotten": request.match_info["number"]})


async def generator_start(request: web.Request) -> web.Response:
    body = await _body(request)
    if "callers" in body:
        body["callers"] = [tuple(pair) for pair in body["callers"]]
    try:
        generator = _sim(request).start_generator(**body)
    except TypeError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response(generator.status())


async def generator_stop(request: web.Request) -> web.Response:
    sim = _sim(request)
    await sim.stop_generator()
    return web.json_response(sim.generator.status() if sim.generator else {"running": False})


@web.middleware
async def json_errors(request: web.Request, handler):
    """Errors as JSON too: ``{"error": "…"}`` with the HTTP status."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return web.json_response({"error": exc.text}, status=exc.status)


def make_app(sim: Simulator) -> web.Application:
    app = web.Application(middlewares=[json_errors])
    app[SIM_KEY] = sim
    app.router.add_get("/status", status)
    app.router.add_get("/actions", list_actions)
    app.router.add_delete("/actions", clear_actions)
    app.router.add_get("/calls", calls)
    app.router.add_get("/calls/{id:\\d+}", call_detail)
    app.router.add_get("/channels", channels)
    app.router.add_get("/members", members)
    app.router.add_post("/scenarios/{scenario}", scenario)
    app.router.add_post("/connections/drop", drop)
    app.router.add_post("/silent", silent)
    app.router.add_post("/resume", resume)
    app.router.add_post("/members/pause", pause)
    app.router.add_get("/numbers", numbers)
    app.router.add_put("/numbers/{number}", set_number)
    app.router.add_delete("/numbers/{number}", forget_number)
    app.router.add_post("/generator/start", generator_start)
    app.router.add_post("/generator/stop", generator_stop)
    return app


class ControlApi:
    """Runs :func:`make_app` on its own TCP site."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        self.runner = web.AppRunner(make_app(self.sim), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
