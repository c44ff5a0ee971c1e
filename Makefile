# Convenience targets; the scripts are the real commands.
.PHONY: test demo

# Every check and test (what CI runs).
test:
	bash scripts/test.sh

# xmppoauth with a throwaway Prosody on loopback.
demo:
	bash scripts/demo.sh
