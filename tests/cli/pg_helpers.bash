# A real PostgreSQL server for the tests: initdb in a temp directory,
# listening on a Unix socket in that directory only (no TCP), run as the
# `postgres` user when the tests run as root. pg_start in setup_file,
# pg_stop in teardown_file (bats runs it even when tests fail).

pg_bindir() {
	local d
	d=$(pg_config --bindir 2>/dev/null)
	[ -x "$d/initdb" ] || d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	echo "$d"
}

# as_pg CMD...: run as the owner of the cluster.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Sets PGDIR (socket and data) and CB_PG (a URL for user cb, database cb,
# trust auth) and CB_PGPW (user pw, password "right", scram auth).
pg_start() {
	local bin
	bin=$(pg_bindir)
	[ -x "$bin/initdb" ] || return 1
	PGDIR=$(mktemp -d /tmp/cbpg.XXXXXX)
	export PGDIR
	[ "$(id -u)" -ne 0 ] || chown postgres "$PGDIR"
	as_pg "$bin/initdb" -D "$PGDIR/data" -U cb -A trust --no-sync -E UTF8 >"$PGDIR/initdb.log" 2>&1 || return 1
	# a password user first, then trust for the rest (all local sockets)
	printf 'local all pw scram-sha-256\nlocal all all trust\n' >"$PGDIR/pg_hba.conf"
	[ "$(id -u)" -ne 0 ] || chown postgres "$PGDIR/pg_hba.conf"
	as_pg cp "$PGDIR/pg_hba.conf" "$PGDIR/data/pg_hba.conf"
	as_pg "$bin/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k $PGDIR -c fsync=off -c max_connections=40" start >/dev/null || return 1
	psql -h "$PGDIR" -U cb -d postgres -qAt -c 'CREATE DATABASE cb' \
		-c "CREATE ROLE pw LOGIN PASSWORD 'right'" -c 'GRANT ALL ON DATABASE cb TO pw' >/dev/null || return 1
	export CB_PG="postgresql:///cb?host=$PGDIR&user=cb"
	export CB_PGPW="postgresql://pw@/cb?host=$PGDIR"
}

pg_stop() {
	[ -n "${PGDIR:-}" ] || return 0
	as_pg "$(pg_bindir)/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$PGDIR"
}

# psqlc SQL: one query against database cb, unaligned output.
psqlc() {
	psql -h "$PGDIR" -U cb -d cb -qAt -c "$1"
}

# pg_fresh: an empty database cb for the next test.
pg_fresh() {
	psql -h "$PGDIR" -U cb -d postgres -qAt -c 'DROP DATABASE IF EXISTS cb WITH (FORCE)' \
		-c 'CREATE DATABASE cb' -c 'GRANT ALL ON DATABASE cb TO pw' >/dev/null
	psql -h "$PGDIR" -U cb -d cb -qAt -c 'GRANT ALL ON SCHEMA public TO pw' >/dev/null
}
