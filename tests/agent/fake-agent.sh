#!/bin/sh
# Stands in for `amazon-ssm-agent -version` (core/agent_parser.go prints
# "SSM Agent version: X"). Anything but -version is an error, like the agent.
[ "$1" = "-version" ] || exit 2
echo "SSM Agent version: 3.3.551.0"
