#!/bin/sh
# An agent too old for -version: the flag is rejected (Go's flag package exits 2).
echo "flag provided but not defined: -version" >&2
exit 2
