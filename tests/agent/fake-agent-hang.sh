#!/bin/sh
# An agent binary that never answers: ssm-reach must stop it in time. The
# child `sleep` keeps the output pipe open after this shell would be killed.
sleep 300
echo "SSM Agent version: 9.9.9.9"
