#!/usr/bin/env python3
"""Loads cxsim-web's page in a real headless Chromium and measures what it shows.

    web_browser.py URL OUT.json SHOT.png [--expect-ended] [--timeout S]

Starts `chromium --headless` (with --no-sandbox when running as root) on a
1024x768 window and a private profile, speaks the DevTools protocol to it
over its WebSocket (python3-websocket), waits until the page has drawn what
the checks need (or the timeout), then writes the DOM measurements to
OUT.json and a screenshot to SHOT.png.

Exit status: 0 measured (the caller checks the figures), 1 the page never
got there or the browser failed mid-way, 77 Chromium cannot start here (the
reason on stderr: the caller reports the test as skipped).
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77

# Everything the test checks, measured in the page itself.
MEASURE = r"""
(function () {
  function q(s, r) { return Array.prototype.slice.call((r || document).querySelectorAll(s)); }
  function pts(p) { var a = p.getAttribute("points"); return a ? a.trim().split(/\s+/).length : 0; }
  var out = {};
  out.status = document.getElementById("status").textContent;
  out.charts = q(".chart").map(function (c) {
    var r = c.getBoundingClientRect(), svg = c.querySelector("svg"), sr = svg.getBoundingClientRect();
    return {
      id: c.id, top: r.top, bottom: r.bottom, height: r.height, plot_height: sr.height,
      series: q("polyline.series", c).map(pts),
      shadow: q("polyline.shadow", c).map(pts),
      depts: q("polyline[data-dept]", c).map(function (p) { return p.getAttribute("data-dept"); }),
      grid: q("line.grid", c).length,
      ylabels: q("text.lbl[text-anchor=end]", c).filter(function (t) { return !t.classList.contains("xunit"); }).length,
      xunit: (c.querySelector("text.xunit") || {}).textContent || "",
      font: Math.min.apply(null, q("text.lbl", c).map(function (t) { return parseFloat(getComputedStyle(t).fontSize); }).concat([999])),
      markers: q("line.marker", c).length,
      title: c.querySelector("h2 b").textContent,
      title_cut: c.querySelector("h2 b").scrollWidth > c.querySelector("h2 b").clientWidth + 0.5,
      labels: q("text.mlbl", c).map(function (t) {
        var b = t.getBBox(); return { text: t.textContent, x: b.x, y: b.y, w: b.width, h: b.height };
      })
    };
  });
  out.visible = out.charts.filter(function (c) { return c.top >= 0 && c.bottom <= window.innerHeight + 0.5; }).length;
  out.viewport = [window.innerWidth, window.innerHeight];
  out.owner = document.getElementById("owner").value;
  out.owner_now = document.getElementById("owner-now").textContent;
  out.governance = document.getElementById("governance").value;
  out.dept_now = q("#dept-now tr[data-dept]").map(function (tr) {
    return q("td", tr).map(function (td) { return td.textContent; });
  });
  out.disabled = {};
  ["pause", "step", "stop", "apply-maturity"].forEach(function (id) {
    out.disabled[id] = document.getElementById(id).disabled;
  });
  out.changes = q("#changes li").map(function (li) { return li.textContent; });
  return JSON.stringify(out);
})()
"""


class Cdp:
    """A minimal DevTools client: one request at a time; of the events, the
    page's uncaught exceptions are kept (self.errors), the rest skipped."""

    def __init__(self, url, timeout):
        import websocket  # python3-websocket
        self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        self.n = 0
        self.errors = []

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("method") == "Runtime.exceptionThrown":
                d = msg["params"]["exceptionDetails"]
                self.errors.append(d.get("exception", {}).get("description") or d.get("text"))
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("the page's script failed: %s" % r["exceptionDetails"])
        return r["result"].get("value")


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def ready(m, want_ended):
    """Whether the page shows what the checks need."""
    if not m or "charts" not in m:
        return False
    nps = [c for c in m["charts"] if c["id"] == "chart-nps"]
    mat = [c for c in m["charts"] if c["id"] == "chart-maturity"]
    if not nps or not mat or not nps[0]["series"] or not nps[0]["series"][0] or not mat[0]["depts"]:
        return False
    if not nps[0]["shadow"] or not any(c["labels"] for c in m["charts"]):
        return False
    if want_ended:
        return "finished" in m["status"] and m["disabled"]["pause"]
    return "running" in m["status"] or "paused" in m["status"]


def main():
    args = sys.argv[1:]
    want_ended = "--expect-ended" in args
    timeout = 40.0
    if "--timeout" in args:
        timeout = float(args[args.index("--timeout") + 1])
    pos = [a for a in args if not a.startswith("--") and not re.match(r"^[0-9.]+$", a)]
    if len(pos) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    url, out_path, shot_path = pos
    exe = chromium()
    if not exe:
        print("SKIP: no chromium here (scripts/setup installs Debian's chromium)", file=sys.stderr)
        return SKIP
    try:
        import websocket  # noqa: F401
    except ImportError:
        print("SKIP: no python3-websocket (scripts/setup installs it)", file=sys.stderr)
        return SKIP
    profile = tempfile.mkdtemp(prefix="cxsim-chromium.")
    cmd = [exe, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
           "--disable-extensions", "--disable-background-networking", "--disable-sync",
           "--hide-scrollbars", "--window-size=1024,768", "--remote-debugging-address=127.0.0.1",
           "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"]
    if os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    err_path = os.path.join(profile, "stderr.txt")
    err = open(err_path, "w+")
    # Chromium's own temporary files (its singleton socket) go inside the
    # profile, removed with it: nothing is left in the test's TMPDIR.
    env = dict(os.environ, TMPDIR=os.path.join(profile, "tmp"))
    os.mkdir(env["TMPDIR"])
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                            env=env)
    try:
        # The DevTools port, from the line Chromium prints when it listens.
        ws_url, deadline = None, time.time() + 20
        while time.time() < deadline and ws_url is None:
            if proc.poll() is not None:
                break
            err.seek(0)
            m = re.search(r"DevTools listening on (ws://\S+)", err.read())
            if m:
                ws_url = m.group(1)
            else:
                time.sleep(0.1)
        if ws_url is None:
            err.seek(0)
            tail = err.read()[-800:]
            print("SKIP: chromium could not start here (exit %s): %s" % (proc.poll(), tail),
                  file=sys.stderr)
            return SKIP
        port = re.match(r"ws://[^:]+:(\d+)/", ws_url).group(1)
        with urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port, timeout=10) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        if not pages:
            print("FAIL: chromium has no page to drive", file=sys.stderr)
            return 1
        cdp = Cdp(pages[0]["webSocketDebuggerUrl"], 15)
        cdp.call("Emulation.setDeviceMetricsOverride", width=1024, height=768,
                 deviceScaleFactor=1, mobile=False)
        cdp.call("Page.enable")
        cdp.call("Runtime.enable")
        cdp.call("Page.navigate", url=url)
        m, deadline = None, time.time() + timeout
        while time.time() < deadline:
            try:
                m = json.loads(cdp.evaluate(MEASURE) or "{}")
            except RuntimeError:
                m = None  # the page is still loading
            if ready(m, want_ended):
                break
            time.sleep(0.25)
        if not ready(m, want_ended):
            print("FAIL: the page did not show its data within %gs: %s" % (timeout, json.dumps(m)),
                  file=sys.stderr)
            return 1
        time.sleep(0.3)  # one more frame drawn, then the final figures
        m = json.loads(cdp.evaluate(MEASURE))
        png = base64.b64decode(cdp.call("Page.captureScreenshot", format="png")["data"])
        with open(shot_path, "wb") as f:
            f.write(png)
        with open(out_path, "w") as f:
            json.dump(m, f, indent=1)
        if cdp.errors:
            print("FAIL: the page's script threw: %s" % cdp.errors[:3], file=sys.stderr)
            return 1
        return 0
    finally:
        try:
            os.killpg(proc.pid, 15)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)
        err.close()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
