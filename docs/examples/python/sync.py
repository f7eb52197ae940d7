"""Run under `fourinsight-token exec`, which puts a fresh token in the
environment: the script itself knows nothing about signing in."""

import json
import os
import urllib.request

API = os.environ.get("FOURINSIGHT_API", "https://api.4insight.io/v1.1")
TOKEN = os.environ["FOURINSIGHT_ACCESS_TOKEN"]

req = urllib.request.Request(API + "/Campaigns", headers={"Authorization": "Bearer " + TOKEN})
with urllib.request.urlopen(req) as resp:
    print(len(json.load(resp)), "campaigns")
