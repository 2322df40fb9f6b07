#!/bin/sh
# diskfree_sh: an external mcsh agent in POSIX shell (docs/agents.md, "External agents").
# The request is one line of JSON whose first nested object is "inputs"; the DDL allows `path` only
# characters that JSON never escapes, so sed can pick it out and printf can write it back.
set -u

answer_failure() { # STATUSCODE MESSAGE: a failing answer that still names the path
  msg=$(printf '%s' "$2" | tr -d '"\\' | tr '\n' ' ')
  printf '{"statuscode":%d,"statusmsg":"%s","data":{"path":"%s"}}\n' "$1" "$msg" "$path"
  exit 0
}

read -r request || true
path=$(printf '%s\n' "$request" | sed -n 's/^{[^{]*"inputs":{[^}]*"path":"\([^"]*\)".*/\1/p')

[ -n "$path" ] || answer_failure 3 'no path in the request'
[ -e "$path" ] || answer_failure 1 "cannot measure $path: No such file or directory"
out=$(df -Pk -- "$path" 2>&1) || answer_failure 1 "cannot measure $path: $out"

# df -P prints a header, then "Filesystem 1024-blocks Used Available Capacity Mounted-on".
printf '%s\n' "$out" | tail -n 1 | awk -v path="$path" '{
  mount = $6
  for (i = 7; i <= NF; i++) mount = mount " " $i
  gsub(/["\\]/, "", mount)
  pct = $5; sub(/%/, "", pct)
  printf "{\"statuscode\":0,\"statusmsg\":\"OK\",\"data\":{\"path\":\"%s\",\"mount\":\"%s\",\"total_mb\":%d,\"used_mb\":%d,\"free_mb\":%d,\"used_percent\":%d}}\n", path, mount, $2 / 1024, $3 / 1024, $4 / 1024, pct
}'
