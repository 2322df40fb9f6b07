#!/usr/bin/env bash
# CI: make sure Debian's ActiveMQ answers STOMP on loopback (127.0.0.1:61623 by default; RabbitMQ
# has 61613), for test/integration/rpc-activemq.test.ts. Idempotent: installs the package when it is
# missing, (re)writes a dedicated instance "mcsh" under /etc/activemq, starts it when it is not
# running and waits (at most ACTIVEMQ_WAIT_SECONDS, 120 by default) for a STOMP CONNECTED frame.
# No prompts; works with stdin closed. Exits non-zero with the reason (and the broker log) on failure.
#
#   .ci/activemq-setup.sh            # install if needed, configure, start, wait
#   ACTIVEMQ_STOMP_PORT=61633 .ci/activemq-setup.sh
#
# What it does by hand (Debian bookworm, activemq 5.17, no systemd):
#   apt-get install activemq          (with a policy-rc.d that exits 101, so nothing starts)
#   /etc/activemq/instances-available/mcsh/{activemq.xml,log4j.properties,options}
#   ln -s ../instances-available/mcsh /etc/activemq/instances-enabled/mcsh
#   /etc/init.d/activemq start        (runs every enabled instance as user activemq;
#                                      pid in /run/activemq/mcsh.pid, log in /var/lib/activemq/mcsh/data/activemq.log)
#   /etc/init.d/activemq stop         (or: /etc/init.d/activemq console mcsh, in the foreground)
# `invoke-rc.d activemq start` is refused while a policy-rc.d exiting 101 is present (Docker images have one).
set -uo pipefail
exec </dev/null

PORT="${ACTIVEMQ_STOMP_PORT:-61623}"
LOGIN="${ACTIVEMQ_LOGIN:-admin}"
PASSCODE="${ACTIVEMQ_PASSCODE:-admin}"
WAIT="${ACTIVEMQ_WAIT_SECONDS:-120}"
INSTANCE=mcsh
AVAIL="/etc/activemq/instances-available/$INSTANCE"
ENABLED="/etc/activemq/instances-enabled/$INSTANCE"
BASE="/var/lib/activemq/$INSTANCE"
PIDFILE="/run/activemq/$INSTANCE.pid"
T0=$(date +%s)

say() { printf '[activemq-setup +%ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
fail() {
  say "FAILED: $*"
  for f in "$BASE/data/activemq.log" "$BASE/data/console.log"; do
    [ -s "$f" ] || continue
    echo "--- errors in $f (full file there):"
    grep -E '\| (ERROR|WARN) +\||^Caused by|Exception:' "$f" | cut -c1-300 | tail -n 8
  done
  exit 1
}

# 0 when a STOMP CONNECT to 127.0.0.1:$PORT gets CONNECTED within 2 s.
stomp_answers() {
  if command -v node >/dev/null 2>&1; then
    PORT="$PORT" LOGIN="$LOGIN" PASSCODE="$PASSCODE" node -e '
      const s = require("net").connect(Number(process.env.PORT), "127.0.0.1");
      let d = "";
      const t = setTimeout(() => process.exit(1), 2000);
      s.on("connect", () => s.write(`CONNECT\naccept-version:1.2\nhost:/\nlogin:${process.env.LOGIN}\npasscode:${process.env.PASSCODE}\n\n\0`));
      s.on("data", (c) => { d += c; if (d.includes("\0")) { clearTimeout(t); process.exit(d.startsWith("CONNECTED") ? 0 : 1) } });
      s.on("error", () => process.exit(1));
    '
  else
    timeout 3 bash -c '
      exec 3<>/dev/tcp/127.0.0.1/'"$PORT"' || exit 1
      printf "CONNECT\naccept-version:1.2\nhost:/\nlogin:%s\npasscode:%s\n\n\0" "$1" "$2" >&3
      head -c 9 <&3 | grep -q CONNECTED' _ "$LOGIN" "$PASSCODE"
  fi
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null; }

[ "$(id -u)" = 0 ] || { stomp_answers && { say "STOMP answers on 127.0.0.1:$PORT"; exit 0; }; fail "not root: cannot install or start ActiveMQ"; }

# 1. Install (Debian's package starts nothing: a policy-rc.d exiting 101 is in place during the install).
if [ ! -x /usr/bin/activemq ] || [ ! -x /etc/init.d/activemq ]; then
  say "installing Debian's activemq package"
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  ok=1
  apt-get update -qq || ok=0
  [ $ok = 1 ] && apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold activemq >/tmp/activemq-apt.log 2>&1 || ok=0
  [ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ $ok = 1 ] || { tail -n 20 /tmp/activemq-apt.log 2>/dev/null; fail "apt-get install activemq failed"; }
  say "installed"
fi

# 2. Configure the "mcsh" instance: STOMP on loopback only, nothing else listening (no OpenWire, no
# JMX, no web console), no persistence (mcsh uses non-durable topics only), a small heap.
mkdir -p "$AVAIL" "$BASE/data" "$BASE/tmp" || fail "cannot create $AVAIL or $BASE"
chown -R activemq:activemq "$BASE" 2>/dev/null || true
# Debian's build logs through log4j 1.2 (slf4j-log4j12), so the shipped log4j2.properties is not
# read ("log4j:WARN No appenders"); a log4j.properties on the instance's classpath is.
cat > "$AVAIL/log4j.properties" <<'LOG'
log4j.rootLogger=INFO, logfile
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
log4j.appender.logfile=org.apache.log4j.RollingFileAppender
log4j.appender.logfile.file=${activemq.data}/activemq.log
log4j.appender.logfile.maxFileSize=1MB
log4j.appender.logfile.maxBackupIndex=3
log4j.appender.logfile.layout=org.apache.log4j.PatternLayout
log4j.appender.logfile.layout.ConversionPattern=%d | %-5p | %m | %c | %t%n
LOG

new_xml=$(mktemp)
cat > "$new_xml" <<XML
<!-- Written by mcsh .ci/activemq-setup.sh: STOMP on 127.0.0.1:$PORT only, for the integration tests. -->
<beans
  xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">

  <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"/>

  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="mcsh-ci" useJmx="false"
          persistent="false" schedulerSupport="false" schedulePeriodForDestinationPurge="30000" dataDirectory="\${activemq.base}/data">

    <destinationPolicy>
      <policyMap>
        <policyEntries>
          <!-- a slow subscriber gets its oldest pending messages dropped rather than blocking senders;
               topics nobody has used for a minute (every test run makes new ones) are dropped -->
          <policyEntry topic=">" producerFlowControl="false" gcInactiveDestinations="true" inactiveTimeoutBeforeGC="60000">
            <pendingMessageLimitStrategy>
              <constantPendingMessageLimitStrategy limit="10000"/>
            </pendingMessageLimitStrategy>
          </policyEntry>
        </policyEntries>
      </policyMap>
    </destinationPolicy>

    <plugins>
      <simpleAuthenticationPlugin>
        <users>
          <authenticationUser username="$LOGIN" password="$PASSCODE" groups="admins"/>
        </users>
      </simpleAuthenticationPlugin>
    </plugins>

    <systemUsage>
      <systemUsage>
        <memoryUsage><memoryUsage limit="64 mb"/></memoryUsage>
      </systemUsage>
    </systemUsage>

    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:$PORT?maximumConnections=2000&amp;wireFormat.maxFrameSize=16777216"/>
    </transportConnectors>
  </broker>
</beans>
XML

new_opts=$(mktemp)
cat > "$new_opts" <<'OPTS'
# Written by mcsh .ci/activemq-setup.sh (replaces /usr/share/activemq/activemq-options for this instance)
STARTTIME=0
ACTIVEMQ_BASE="/var/lib/activemq/$INSTANCE"
# /usr/bin/activemq derives these from ACTIVEMQ_BASE before it reads this file: set them here
ACTIVEMQ_DATA="/var/lib/activemq/$INSTANCE/data"
ACTIVEMQ_TMP="/var/lib/activemq/$INSTANCE/tmp"
JAVA_HOME="/usr/lib/jvm/default-java/"
ACTIVEMQ_OPTS="-Xms64M -Xmx256M -XX:+UseSerialGC -Dorg.apache.activemq.UseDedicatedTaskRunner=false"
ACTIVEMQ_ARGS="start xbean:activemq.xml"
ACTIVEMQ_OUT="/var/lib/activemq/$INSTANCE/data/console.log"
ACTIVEMQ_USER="activemq"
DIETIME=5
OPTS

changed=0
for pair in "$new_xml:activemq.xml" "$new_opts:options"; do
  src=${pair%%:*} dst="$AVAIL/${pair#*:}"
  if ! cmp -s "$src" "$dst"; then cp "$src" "$dst" && changed=1; fi
  chmod 644 "$dst"
  rm -f "$src"
done
[ -L "$ENABLED" ] || [ -d "$ENABLED" ] || ln -s "../instances-available/$INSTANCE" "$ENABLED" || fail "cannot enable instance $INSTANCE"

# 3. Stop it after a configuration change (bounded; SIGKILL as a last resort).
stop_instance() {
  /etc/init.d/activemq stop >/dev/null 2>&1 || true
  for _ in $(seq 1 40); do running || return 0; sleep 0.5; done
  kill -9 "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null || true
  sleep 1
}
if running && [ $changed = 1 ]; then
  say "configuration changed: restarting"
  stop_instance
fi

# 4. Start it when it is not running, and wait (bounded) for STOMP. A broker that is still starting
# or still shutting down (its pid alive, no STOMP yet) is waited for; one that is gone is started,
# once.
deadline=$(($(date +%s) + WAIT))
started=0
while [ "$(date +%s)" -lt "$deadline" ]; do
  if stomp_answers; then
    say "ActiveMQ (pid $(cat "$PIDFILE" 2>/dev/null)) answers STOMP on 127.0.0.1:$PORT (login $LOGIN)"
    exit 0
  fi
  if ! running; then
    [ $started = 1 ] && fail "ActiveMQ exited during start-up"
    say "starting ActiveMQ instance $INSTANCE"
    rm -f "$PIDFILE"
    /etc/init.d/activemq start >/dev/null 2>&1 || fail "/etc/init.d/activemq start failed"
    started=1
  fi
  sleep 0.5
done
fail "ActiveMQ STOMP does not answer on 127.0.0.1:$PORT after ${WAIT} s"
