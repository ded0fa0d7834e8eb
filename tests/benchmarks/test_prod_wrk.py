"""The benchmark reads wrk's report correctly: the numbers in docs/benchmarks.md come from here."""

from __future__ import annotations

from benchmarks.prod_wrk import duration, lua_script, parse_report

REPORT = """Running 15s test @ http://127.0.0.1:8100
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    20.43ms    8.97ms   1.35s    82.36%
    Req/Sec     1.60k   498.83     2.47k    60.67%
  Latency Distribution
     50%  816.00us
     75%   24.46ms
     90%   32.61ms
     99%   51.08ms
  23878 requests in 15.03s, 3.92MB read
  Socket errors: connect 0, read 2, write 0, timeout 19
  Non-2xx or 3xx responses: 7
Requests/sec:   1588.22
Transfer/sec:    266.77KB
"""


def test_a_wrk_report_becomes_the_load_generators_numbers() -> None:
    numbers = parse_report(REPORT)
    assert (numbers["requests"], numbers["seconds"]) == (23878, 15.03)
    assert (numbers["p50_ms"], numbers["p90_ms"], numbers["p99_ms"], numbers["max_ms"]) == (0.82, 32.61, 51.08, 1350.0)
    assert numbers["errors"] == 7 + 2 + 19
    assert numbers["ok_per_second"] == round((23878 - 7) / 15.03, 1)
    assert numbers["transport_errors"] == {"connect": 0, "read": 2, "write": 0, "timeout": 19}


def test_the_request_script_sends_every_path_with_the_key() -> None:
    script = lua_script("svk_abc", ["/v1/invoices/1", "/v1/invoices/by-number?number=S-1"])
    assert 'wrk.headers["Authorization"] = "Bearer svk_abc"' in script
    assert '"/v1/invoices/by-number?number=S-1"' in script


def test_durations_are_given_to_wrk_in_whole_seconds() -> None:
    assert (duration(20.0), duration(3), duration(0.2)) == ("-d20s", "-d3s", "-d1s")
