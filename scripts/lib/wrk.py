"""wrk: its runs and their parsed output, and the Lua script that POSTs one SUCCEEDED callback per token."""

import os
import re
import subprocess

from .callbacks import SUCCEEDED_BODY

# Reads the tokens from the file TOKENS_FILE names (one a line); each of wrk's threads takes every other one from
# its own offset, one SUCCEEDED callback each, round and round.
CALLBACKS_LUA = r"""
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local counter = 0
local threads = 0
function setup(thread) thread:set("offset", threads); threads = threads + 1 end
function init(args) counter = 0 end
local body = '""" + SUCCEEDED_BODY + r"""'  -- callbacks.SUCCEEDED_BODY
local headers = {["Content-Type"] = "application/json"}
function request()
  local index = (offset + counter * 2) % #tokens + 1
  counter = counter + 1
  return wrk.format("POST", "/callbacks/" .. tokens[index], headers, body)
end
"""


def write_callbacks_script(path):
    """CALLBACKS_LUA into the file `path`, for run(lua=path)."""
    with open(path, "w") as f:
        f.write(CALLBACKS_LUA)


def write_tokens(path, tokens):
    """`tokens` into the file `path`, one a line, for run(tokens_file=path)."""
    with open(path, "w") as f:
        f.write("\n".join(tokens) + "\n")


def output(url, duration, connections, lua=None, tokens_file=None):
    """What `wrk -t2 -cCONNECTIONS -dDURATIONs --latency [-s LUA] URL` prints (TOKENS_FILE set for the Lua script);
    CalledProcessError when it fails."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"] + (["-s", lua] if lua else []) + [url]
    return subprocess.run(command, env=dict(os.environ, TOKENS_FILE=tokens_file or ""), capture_output=True, text=True,
                          check=True).stdout


def rate(text):
    """Requests/s from wrk's output."""
    return float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))


def parse(text):
    """wrk's output (with --latency): rate (requests/s), p50 and p99 (ms), requests, non2xx (answers not 2xx or 3xx)."""
    def latency(label):
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", text).groups()
        return float(value) / 1000 if unit == "us" else float(value) * 1000 if unit == "s" else float(value)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {"rate": rate(text), "p50": latency("50%"), "p99": latency("99%"),
            "requests": int(re.search(r"(\d+) requests in", text).group(1)), "non2xx": int(non2xx.group(1)) if non2xx else 0}


def run(url, duration, connections, lua=None, tokens_file=None):
    """wrk -t2 against `url` (with a Lua script reading TOKENS_FILE): rate, p50/p99 in ms, requests, non-2xx."""
    return parse(output(url, duration, connections, lua=lua, tokens_file=tokens_file))
