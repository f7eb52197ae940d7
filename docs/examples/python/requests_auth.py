"""requests: an auth class that asks fourinsight-token before each request."""

import subprocess

import requests


class FourinsightToken(requests.auth.AuthBase):
    def __init__(self, session="ws0"):
        self.session = session

    def __call__(self, r):
        tok = subprocess.run(
            ["fourinsight-token", "-s", self.session],
            check=True, stdout=subprocess.PIPE, text=True,
        ).stdout.strip()
        r.headers["Authorization"] = "Bearer " + tok
        return r


if __name__ == "__main__":
    import os

    api = os.environ.get("FOURINSIGHT_API", "https://api.4insight.io/v1.1")
    s = requests.Session()
    s.auth = FourinsightToken("ws0")
    r = s.get(api + "/Campaigns")
    r.raise_for_status()
    print(r.json())
