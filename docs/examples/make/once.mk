# One token for the whole make run: fourinsight-token runs once, when make
# reads this file. Fine for short builds; for long ones ask in each recipe
# (see Makefile), as a token lasts about an hour.
SHELL := /bin/bash
API ?= https://api.4insight.io/v1.1
SESSION ?= ws0

TOKEN := $(shell fourinsight-token -s $(SESSION))
ifeq ($(TOKEN),)
$(error no token for session $(SESSION): sign in with: fourinsight-token login -s $(SESSION))
endif
# Exported, and used as $$FOURINSIGHT_ACCESS_TOKEN: make echoes recipes,
# and $(TOKEN) in a recipe would print the token.
export FOURINSIGHT_ACCESS_TOKEN := $(TOKEN)

campaigns.json:
	curl -fsS -H @<(echo "Authorization: Bearer $$FOURINSIGHT_ACCESS_TOKEN") -o $@ $(API)/Campaigns
