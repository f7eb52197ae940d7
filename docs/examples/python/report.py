"""Call the 4insight API with a token from fourinsight-token.

fourinsight-token serves the token from its cache (a file read), refreshes
it when it is about to expire, and signs in only when it must; so asking
for it before every request is cheap and never hands out a stale token.
"""

import json
import os
import subprocess
import sys
import urllib.request

API = os.environ.get("FOURINSIGHT_API", "https://api.4insight.io/v1.1")


def token(session="ws0"):
    # stdout only: a sign-in prompt, if one is needed, goes to the terminal
    # through stderr, which must stay visible.
    out = subprocess.run(
        ["fourinsight-token", "-s", session],
        check=True, stdout=subprocess.PIPE, text=True,
    )
    return out.stdout.strip()


def get(path):
    req = urllib.request.Request(
        API + path, headers={"Authorization": "Bearer " + token()}
    )
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)


if __name__ == "__main__":
    json.dump(get("/Campaigns"), sys.stdout, indent=2)
    print()
