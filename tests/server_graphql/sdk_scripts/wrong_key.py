"""A reference-SDK script with a wrong key: prints the SDK's exception.

Usage: python wrong_key.py KEY ENDPOINT PROJECT_ID
"""

import sys

import labelbox as lb
from lbox.exceptions import AuthenticationError

key, endpoint, project_id = sys.argv[1:4]
client = lb.Client(api_key=key, endpoint=endpoint)
try:
    client.get_project(project_id)
except AuthenticationError as exc:
    print("AuthenticationError", exc)
