"""The job queue on Redis (`--queue redis://host:port/db`), so workers on several machines share the work.

Each change is one Lua script, which Redis runs atomically: a claim, a limit check, a lease renewal or a
recovery can never interleave with another. Times come from the Redis server's clock (TIME), so the
workers' clocks need not agree. Keys, under `stylist:jobs:`:

    job:<id>          hash: the job's fields (params and result as JSON)
    queued:<kind>     list of queued job ids, oldest first (one per kind, so a worker takes only kinds it runs)
    running           sorted set: running job id → lease deadline
    open:<user>       set: the user's queued and running jobs (the per-user limit)
    user:<user>       set: all the user's jobs
    all               sorted set: job id → created_at
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import redis

from stylist.errors import StylistError
from stylist.jobs.queue import (
    DEFAULT_LEASE_SECONDS,
    GAVE_UP_MESSAGE,
    JOB_KINDS,
    RETRY_MESSAGE,
    Job,
    JobLost,
    JobQueue,
    TooManyJobs,
)
from stylist.records import new_id

PREFIX = "stylist:jobs"

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# Shared by `claim` and `recover`: ARGV[2] and ARGV[3] are the message templates.
_RECOVER = """
local function recover(p, now, retry_template, gave_up_template)
  local expired = redis.call('ZRANGEBYSCORE', p .. ':running', '-inf', now)
  for _, id in ipairs(expired) do
    redis.call('ZREM', p .. ':running', id)
    local key = p .. ':job:' .. id
    if redis.call('HGET', key, 'status') == 'running' then
      local f = redis.call('HMGET', key, 'attempts', 'max_attempts', 'cancel_requested', 'kind', 'user_id')
      local attempts, max_attempts = tonumber(f[1]), tonumber(f[2])
      if f[3] == '1' then
        redis.call('HSET', key, 'status', 'canceled', 'message', 'canceled', 'finished_at', now, 'owner', '')
        redis.call('SREM', p .. ':open:' .. f[5], id)
      elseif attempts < max_attempts then
        redis.call('HSET', key, 'status', 'queued', 'owner', '', 'progress', 0,
                   'message', string.format(retry_template, attempts, max_attempts))
        redis.call('LPUSH', p .. ':queued:' .. f[4], id)
      else
        redis.call('HSET', key, 'status', 'failed', 'owner', '', 'finished_at', now, 'message', 'failed',
                   'error', string.format(gave_up_template, attempts))
        redis.call('SREM', p .. ':open:' .. f[5], id)
      end
    end
  end
  return expired
end
"""

_SUBMIT = _NOW + """
local p, id, kind, user, params, max_attempts, max_open = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local open = redis.call('SCARD', p .. ':open:' .. user)
if open >= max_open then return {0, open} end
redis.call('HSET', p .. ':job:' .. id, 'id', id, 'kind', kind, 'user_id', user, 'status', 'queued', 'progress', 0,
           'message', '', 'params', params, 'attempts', 0, 'max_attempts', max_attempts, 'cancel_requested', 0,
           'created_at', now, 'owner', '')
redis.call('SADD', p .. ':open:' .. user, id)
redis.call('SADD', p .. ':user:' .. user, id)
redis.call('ZADD', p .. ':all', now, id)
redis.call('RPUSH', p .. ':queued:' .. kind, id)
return {1, tostring(now)}
"""

_CLAIM = _NOW + _RECOVER + """
local p, worker, lease = ARGV[1], ARGV[4], tonumber(ARGV[5])
recover(p, now, ARGV[2], ARGV[3])
local best, best_list, best_time = nil, nil, nil
for i = 6, #ARGV do
  local list = p .. ':queued:' .. ARGV[i]
  while true do
    local id = redis.call('LINDEX', list, 0)
    if not id then break end
    local f = redis.call('HMGET', p .. ':job:' .. id, 'status', 'created_at')
    if f[1] == 'queued' then
      local created = tonumber(f[2])
      if best == nil or created < best_time then best, best_list, best_time = id, list, created end
      break
    end
    redis.call('LPOP', list)  -- a job canceled or deleted while queued: drop its stale entry
  end
end
if best == nil then return false end
redis.call('LPOP', best_list)
local key = p .. ':job:' .. best
local attempts = tonumber(redis.call('HGET', key, 'attempts')) + 1
local owner = worker .. '/' .. best .. '/' .. attempts
redis.call('HSET', key, 'status', 'running', 'owner', owner, 'attempts', attempts, 'started_at', now,
           'message', 'started')
redis.call('ZADD', p .. ':running', now + lease, best)
return best
"""

_RECOVER_NOW = _NOW + _RECOVER + """
return recover(ARGV[1], now, ARGV[2], ARGV[3])
"""

_REPORT = _NOW + """
local p, id, owner, progress, message, lease = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local key = p .. ':job:' .. id
local f = redis.call('HMGET', key, 'owner', 'status', 'cancel_requested')
if f[1] ~= owner or f[2] ~= 'running' then return -1 end
redis.call('ZADD', p .. ':running', now + lease, id)
if progress ~= '' then redis.call('HSET', key, 'progress', progress) end
if message ~= '' then redis.call('HSET', key, 'message', message) end
return tonumber(f[3])
"""

_FINISH = _NOW + """
local p, id, owner, status, result, err, message = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local key = p .. ':job:' .. id
local f = redis.call('HMGET', key, 'owner', 'status', 'user_id')
if f[1] ~= owner or f[2] ~= 'running' then return 0 end
redis.call('HSET', key, 'status', status, 'result', result, 'error', err, 'message', message, 'finished_at', now,
           'owner', '')
if status == 'succeeded' then redis.call('HSET', key, 'progress', 1) end
redis.call('ZREM', p .. ':running', id)
redis.call('SREM', p .. ':open:' .. f[3], id)
return 1
"""

_CANCEL = _NOW + """
local p, id = ARGV[1], ARGV[2]
local key = p .. ':job:' .. id
local f = redis.call('HMGET', key, 'status', 'kind', 'user_id')
if f[1] == 'queued' then
  redis.call('HSET', key, 'status', 'canceled', 'message', 'canceled', 'finished_at', now)
  redis.call('LREM', p .. ':queued:' .. f[2], 0, id)
  redis.call('SREM', p .. ':open:' .. f[3], id)
elseif f[1] == 'running' then
  redis.call('HSET', key, 'cancel_requested', 1, 'message', 'canceling')
end
return 1
"""

_DELETE_USER = """
local p, user = ARGV[1], ARGV[2]
local ids = redis.call('SMEMBERS', p .. ':user:' .. user)
for _, id in ipairs(ids) do
  local kind = redis.call('HGET', p .. ':job:' .. id, 'kind')
  if kind then redis.call('LREM', p .. ':queued:' .. kind, 0, id) end
  redis.call('ZREM', p .. ':running', id)
  redis.call('ZREM', p .. ':all', id)
  redis.call('DEL', p .. ':job:' .. id)
end
redis.call('DEL', p .. ':user:' .. user, p .. ':open:' .. user)
return #ids
"""


class RedisQueue(JobQueue):
    def __init__(self, url: str, prefix: str = PREFIX, kinds: frozenset[str] = JOB_KINDS):
        self.kinds = kinds
        parts = urlsplit(url)
        # `url` is shown in logs and messages, so without the password it may hold.
        self.url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])) if parts.password else url
        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5,
                                          health_check_interval=30)
        try:
            self.redis.ping()
        except redis.RedisError as exc:
            raise StylistError(f"cannot reach the Redis queue at {self.url}: {exc}") from exc
        self._submit, self._claim, self._recover, self._report, self._finish, self._cancel, self._delete_user = (
            self.redis.register_script(script)
            for script in (_SUBMIT, _CLAIM, _RECOVER_NOW, _REPORT, _FINISH, _CANCEL, _DELETE_USER)
        )

    def close(self) -> None:
        self.redis.close()

    def _add(self, kind: str, user_id: str, params: dict[str, Any], *, max_open: int, max_attempts: int) -> Job:
        job_id = new_id()
        added, value = self._submit(args=[self.prefix, job_id, kind, user_id, json.dumps(params), max_attempts, max_open])
        if not added:
            raise TooManyJobs(f"you have {value} jobs queued or running; wait for one to finish")
        return Job(id=job_id, kind=kind, user_id=user_id, params=params, max_attempts=max_attempts,
                   created_at=float(value))

    def get(self, job_id: str) -> Job | None:
        # The client decodes responses (decode_responses=True); its types cannot say so.
        fields = cast("dict[str, str]", self.redis.hgetall(f"{self.prefix}:job:{job_id}"))
        return _job(fields) if fields else None

    def jobs(self, user_id: str | None = None) -> list[Job]:
        ids = cast("Iterable[str]", self.redis.zrange(f"{self.prefix}:all", 0, -1) if user_id is None
                   else self.redis.smembers(f"{self.prefix}:user:{user_id}"))
        pipe = self.redis.pipeline(transaction=False)
        for job_id in ids:
            pipe.hgetall(f"{self.prefix}:job:{job_id}")
        found = [_job(fields) for fields in pipe.execute() if fields]
        return sorted(found, key=lambda job: job.created_at)

    def cancel(self, job_id: str) -> Job | None:
        self._cancel(args=[self.prefix, job_id])
        return self.get(job_id)

    def claim(self, worker: str, kinds: frozenset[str], lease: float = DEFAULT_LEASE_SECONDS) -> Job | None:
        job_id = self._claim(args=[self.prefix, RETRY_MESSAGE, GAVE_UP_MESSAGE, worker, lease, *sorted(kinds)])
        if not job_id:
            return None
        job = self.get(job_id)
        if job is None:  # deleted with its user between the claim and this read
            return None
        job.lease = lease
        return job

    def report(self, job: Job, progress: float | None = None, message: str | None = None) -> bool:
        assert job.owner is not None, "only a claimed job reports"
        answer = self._report(args=[self.prefix, job.id, job.owner, "" if progress is None else progress,
                                    message or "", job.lease])
        if answer < 0:
            raise JobLost(job.id)
        return bool(answer)

    def finish(self, job: Job, status: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> bool:
        assert job.owner is not None, "only a claimed job finishes"
        message = {"canceled": "canceled", "failed": "failed"}.get(status, "done")
        return bool(self._finish(args=[self.prefix, job.id, job.owner, status,
                                       "" if result is None else json.dumps(result), error or "", message]))

    def recover(self) -> list[Job]:
        ids = self._recover(args=[self.prefix, RETRY_MESSAGE, GAVE_UP_MESSAGE])
        return [job for job in (self.get(job_id) for job_id in ids) if job]

    def delete_user(self, user_id: str) -> int:
        return int(self._delete_user(args=[self.prefix, user_id]))


def _job(fields: dict[str, str]) -> Job:
    def number(name: str) -> float | None:
        return float(fields[name]) if fields.get(name) else None

    return Job(
        id=fields["id"], kind=fields["kind"], user_id=fields["user_id"], status=fields["status"],
        progress=float(fields.get("progress") or 0), message=fields.get("message", ""),
        params=json.loads(fields["params"]), result=json.loads(fields["result"]) if fields.get("result") else None,
        error=fields.get("error") or None, attempts=int(fields.get("attempts") or 0),
        max_attempts=int(fields["max_attempts"]), cancel_requested=fields.get("cancel_requested") == "1",
        created_at=float(fields["created_at"]), started_at=number("started_at"), finished_at=number("finished_at"),
        owner=fields.get("owner") or None,
    )
