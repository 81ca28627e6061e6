import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# AppTest runs every page in this one pytest process, which keeps many models alive: the class server's memory
# budget (core.server.budget) is not for it. Budget tests set their own; browser tests' servers get the default.
os.environ.setdefault("RNNP_SERVER_BUDGET_MB", "1000000")
