#!/usr/bin/python3
"""Checks an Open OnDemand balance file the way OnDemand's dashboard reads it
(its Balance model, version 1), and prints what the dashboard shows a user.

Written from a reading of the dashboard's apps/dashboard/app/models/balance.rb
and config/configuration_singleton.rb (OOD_BALANCE_PATH, OOD_BALANCE_THRESHOLD):
  - the file is a JSON object whose "balances" is an array (else the dashboard
    logs an error and shows nothing);
  - "timestamp" is read with to_i (epoch seconds: the "last update" shown);
  - "config" is an object: "unit" (to_s, shown as "<unit> balance is <value>"
    and pluralised), "project_type" (to_s, shown before the project);
  - each balance is an object; the dashboard keeps those whose "user" equals
    the login name exactly, fetches "user" and "value" (a missing key is a
    KeyError: the whole file is dropped), "project" may be missing;
    "value" is read with to_i, so it must be an integer to mean what it says;
  - a balance is insufficient (the warning banner) when value <= threshold
    (OOD_BALANCE_THRESHOLD, a float, default 0).
Stricter than the dashboard where the dashboard would silently lose meaning:
integer values (not floats, strings or booleans), version 1, a recent
timestamp, non-empty unit, project_type "award", non-empty user and project,
no (user, project) twice.

Usage: ood_balance_check.py FILE [USER THRESHOLD]
Exit 0 and prints "ok N" (entries), then for USER one line per balance the
dashboard shows: "PROJECT VALUE warn|ok" sorted by value as the widget sorts;
exit 1 with one line per problem otherwise.
"""
import json
import sys
import time


def main():
    path = sys.argv[1]
    problems = []
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("not JSON: %s" % e)
        return 1
    if not isinstance(doc, dict):
        print("not a JSON object")
        return 1
    if type(doc.get("version")) is not int or doc["version"] != 1:
        problems.append("version is not the integer 1: %r" % doc.get("version"))
    ts = doc.get("timestamp")
    if type(ts) is not int or abs(ts - time.time()) > 600:
        problems.append("timestamp is not the current epoch seconds: %r" % ts)
    config = doc.get("config")
    if not isinstance(config, dict):
        problems.append("config is not an object")
        config = {}
    if not isinstance(config.get("unit"), str) or not config.get("unit"):
        problems.append("config.unit is not a non-empty string: %r" % config.get("unit"))
    if config.get("project_type") != "award":
        problems.append("config.project_type is not 'award': %r" % config.get("project_type"))
    balances = doc.get("balances")
    if not isinstance(balances, list):
        print("balances is not an array")
        return 1
    seen = set()
    for i, b in enumerate(balances):
        if not isinstance(b, dict):
            problems.append("balances[%d] is not an object" % i)
            continue
        for key in ("user", "project"):
            if not isinstance(b.get(key), str) or not b.get(key):
                problems.append("balances[%d].%s is not a non-empty string: %r" % (i, key, b.get(key)))
        if type(b.get("value")) is not int:
            problems.append("balances[%d].value is not an integer: %r" % (i, b.get("value")))
        extra = set(b) - {"user", "project", "value"}
        if extra:
            problems.append("balances[%d] has keys the dashboard ignores: %s" % (i, sorted(extra)))
        k = (b.get("user"), b.get("project"))
        if k in seen:
            problems.append("balances[%d]: user %r and project %r twice" % (i, k[0], k[1]))
        seen.add(k)
    if problems:
        for p in problems:
            print(p)
        return 1
    print("ok %d" % len(balances))
    if len(sys.argv) > 3:
        user, threshold = sys.argv[2], float(sys.argv[3])
        mine = [b for b in balances if b["user"] == user]
        for b in sorted(mine, key=lambda b: b["value"]):
            print("%s %d %s" % (b["project"], b["value"], "warn" if not float(b["value"]) > threshold else "ok"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
