"""tap.py - TAP output for the integration tests (one line per check).

    from tap import Tap
    t = Tap()
    t.ok(cond, "what it proves")
    t.done()          # prints the plan and exits 1 if anything failed
"""
import sys
import traceback


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name), flush=True)
        if not cond and diag is not None:
            self.diag(diag)
        return bool(cond)

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got %r, expected %r" % (got, want))

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("#   " + line, flush=True)

    def skip_all(self, why):
        print("1..0 # SKIP %s" % why, flush=True)
        sys.exit(0)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)

    def run(self, fn):
        """Runs fn(self); an exception is a failed check, not a crash."""
        try:
            fn(self)
        except Exception:
            self.ok(False, "no exception in %s" % fn.__name__,
                    traceback.format_exc())
        self.done()
