# Shared by run.sh and test.sh: installs what is missing and starts the services VirtWeb needs.
# Everything here runs as root on Debian 12 without systemd, so daemons are started by hand.

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" = 0 ] || die "run this as root: it installs Debian packages and starts PostgreSQL and libvirtd."
}

# Installs the Debian packages that are not installed yet; a second run costs one dpkg query.
install_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # libvirt-daemon-system creates the libvirt-qemu user and kvm group that libvirtd needs; keep any edited config.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
}

require_dotnet() {
  command -v dotnet >/dev/null || die "the .NET 10 SDK is not installed (dotnet is not on PATH); install it, then run this again."
}

# What both scripts need before anything else: root, the database and libvirt packages (plus "$@"), and .NET.
prepare_machine() {
  require_root
  install_packages postgresql libvirt0 libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-driver-lxc libvirt-daemon-system \
    libvirt-clients qemu-system-x86 qemu-utils genisoimage osinfo-db "$@"
  ensure_osinfo_db
  require_dotnet
}

# Debian 12's osinfo-db (0.20221130) predates Debian 12 itself, so its OS presets end at Debian 11. libosinfo reads a
# local database in /etc/osinfo over the system one (where `osinfo-db-import --local` puts a newer release): fill it
# from the next Debian release's osinfo-db, which is architecture-independent XML, fetched by apt-get from the mirror
# this machine already uses, with an apt state of its own so the system's sources and packages stay as they are.
# Best effort: without it the presets are the system's, which the app reads as before.
ensure_osinfo_db() {
  [ -e /usr/share/osinfo/os/debian.org/debian-12.xml ] || [ -e /etc/osinfo/os/debian.org/debian-12.xml ] && return 0
  local mirror work
  mirror="$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' 'Codename: bookworm' 2>/dev/null | head -n 1)"
  [ -n "$mirror" ] || { log "osinfo-db: no Debian mirror configured; OS presets end at Debian 11"; return 0; }
  work="$(mktemp -d)"
  chmod 755 "$work" # apt downloads as its _apt user
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  echo "deb $mirror trixie main" > "$work/sources.list"
  local apt=(-qq -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache")
  log "osinfo-db: adding the next Debian release's OS database to /etc/osinfo (the system's ends at Debian 11)"
  if apt-get "${apt[@]}" update && (cd "$work" && apt-get "${apt[@]}" download osinfo-db) \
      && dpkg-deb -x "$work"/osinfo-db_*.deb "$work/root" && [ -d "$work/root/usr/share/osinfo/os" ]; then
    mkdir -p /etc/osinfo
    cp -a "$work/root/usr/share/osinfo/." /etc/osinfo/
  else
    log "osinfo-db: could not fetch the newer database; OS presets end at Debian 11"
  fi
  rm -rf "$work"
}

# npm ci only when package-lock.json changed since the last install, so a second run stays fast.
restore_npm() {
  command -v npm >/dev/null || install_packages nodejs npm
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# The postgres user must be able to reach its data directory through every parent folder.
make_traversable_for_postgres() {
  local dir="$1"
  while [ "$dir" != "/" ]; do
    if ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
      log "letting the postgres user pass through $dir (chmod o+x)"
      chmod o+x "$dir"
    fi
    dir="$(dirname "$dir")"
  done
}

# start_postgres DATA_DIR PORT: a private cluster owned by the postgres user (PostgreSQL refuses root),
# listening on 127.0.0.1 only, with a generated superuser password. Sets PG_CONNECTION.
start_postgres() {
  local data="$1" port="$2"
  local bin=/usr/lib/postgresql/15/bin
  [ -x "$bin/initdb" ] || die "PostgreSQL 15 binaries not found in $bin"
  mkdir -p "$data"
  data="$(cd "$data" && pwd)"
  make_traversable_for_postgres "$(dirname "$data")"
  chown postgres:postgres "$data"
  chmod 700 "$data"
  local password_file="$data.password"
  if [ ! -f "$data/cluster/PG_VERSION" ]; then
    log "creating a PostgreSQL cluster in $data/cluster"
    rm -rf "$data/cluster"
    head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$password_file"
    chmod 600 "$password_file"
    install -o postgres -g postgres -m 600 "$password_file" "$data/pwfile"
    runuser -u postgres -- "$bin/initdb" -D "$data/cluster" -U postgres --auth=scram-sha-256 \
      --pwfile="$data/pwfile" --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$data/pwfile"
  fi
  if runuser -u postgres -- "$bin/pg_ctl" -D "$data/cluster" status >/dev/null 2>&1; then
    log "PostgreSQL already running in $data/cluster"
  else
    log "starting PostgreSQL on 127.0.0.1:$port"
    runuser -u postgres -- "$bin/pg_ctl" -D "$data/cluster" -l "$data/postgres.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null \
      || die "PostgreSQL did not start; see $data/postgres.log (is port $port taken? set another port)"
  fi
  PG_CONNECTION="Host=127.0.0.1;Port=$port;Username=postgres;Password=$(cat "$password_file")"
}

stop_postgres() {
  local data="$1"
  local bin=/usr/lib/postgresql/15/bin
  if runuser -u postgres -- "$bin/pg_ctl" -D "$data/cluster" status >/dev/null 2>&1; then
    log "stopping PostgreSQL"
    runuser -u postgres -- "$bin/pg_ctl" -D "$data/cluster" -m fast -w stop >/dev/null || true
  fi
}

# start_redis DATA_DIR PORT: a private Redis for the several-instances bus (README "Several instances"), on
# 127.0.0.1 only, without persistence (the bus keeps only what its owners write again after a restart), with a
# generated password. Sets REDIS_CONNECTION in StackExchange.Redis form.
start_redis() {
  local data="$1" port="$2"
  command -v redis-server >/dev/null || die "redis-server is not installed; install the Debian package redis-server."
  mkdir -p "$data"
  data="$(cd "$data" && pwd)"
  local password_file="$data/password"
  if [ ! -f "$password_file" ]; then
    head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$password_file"
    chmod 600 "$password_file"
  fi
  if [ -f "$data/redis.pid" ] && kill -0 "$(cat "$data/redis.pid")" 2>/dev/null; then
    log "Redis already running from $data"
  else
    log "starting Redis on 127.0.0.1:$port"
    # The password goes through a config file so it never shows in the process list.
    printf 'requirepass %s\n' "$(cat "$password_file")" > "$data/auth.conf"
    chmod 600 "$data/auth.conf"
    redis-server "$data/auth.conf" --port "$port" --bind 127.0.0.1 --dir "$data" --daemonize yes \
      --pidfile "$data/redis.pid" --logfile "$data/redis.log" --save '' --appendonly no >/dev/null \
      || die "Redis did not start; see $data/redis.log (is port $port taken? set another port)"
    local tries=0
    until redis-cli -p "$port" -a "$(cat "$password_file")" --no-auth-warning ping 2>/dev/null | grep -q PONG; do
      tries=$((tries + 1))
      [ "$tries" -lt 50 ] || die "Redis did not answer on 127.0.0.1:$port; see $data/redis.log"
      sleep 0.1
    done
  fi
  REDIS_CONNECTION="127.0.0.1:$port,password=$(cat "$password_file")"
}

stop_redis() {
  local data="$1" pid
  [ -f "$data/redis.pid" ] || return 0
  pid="$(cat "$data/redis.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping Redis"
    kill "$pid" || true
    local tries=0
    while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 50 ]; do
      tries=$((tries + 1))
      sleep 0.1
    done
  fi
}

# VirtWeb's web process runs as this unprivileged system user, never as root. It reaches qemu:///system through
# libvirtd's socket as a member of the libvirt group (scripts/libvirtd.conf).
VIRTWEB_USER=virtweb
VIRTWEB_HOME=/var/lib/virtweb

ensure_service_user() {
  getent group libvirt >/dev/null || groupadd --system libvirt
  if ! id -u "$VIRTWEB_USER" >/dev/null 2>&1; then
    log "creating the system user $VIRTWEB_USER, which serves VirtWeb"
    useradd --system --home-dir "$VIRTWEB_HOME" --create-home --shell /usr/sbin/nologin \
      --comment "VirtWeb web console" "$VIRTWEB_USER"
  fi
  id -nG "$VIRTWEB_USER" | tr ' ' '\n' | grep -qx libvirt || usermod -aG libvirt "$VIRTWEB_USER"
  mkdir -p "$VIRTWEB_HOME"
  chown "$VIRTWEB_USER:$VIRTWEB_USER" "$VIRTWEB_HOME"
  chmod 750 "$VIRTWEB_HOME"
}

# as_service_user COMMAND...: runs a command as the VirtWeb user with its own home; the rest of the environment
# (connection strings, VIRTWEB_* settings) passes through.
as_service_user() {
  runuser -u "$VIRTWEB_USER" -- env HOME="$VIRTWEB_HOME" DOTNET_CLI_HOME="$VIRTWEB_HOME" \
    DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 "$@"
}

# The VirtWeb user must reach its files through every parent folder (a clone under /root would stop it).
make_traversable_for_service_user() {
  local dir="$1"
  while [ "$dir" != "/" ]; do
    if ! runuser -u "$VIRTWEB_USER" -- test -x "$dir" 2>/dev/null; then
      log "letting the $VIRTWEB_USER user pass through $dir (chmod o+x)"
      chmod o+x "$dir"
    fi
    dir="$(dirname "$dir")"
  done
}

# libvirtd reads its settings from a root-owned copy outside the checkout, so a libvirtd started from one clone keeps
# a valid command line (and a restart from that command line still works) after that clone is moved or deleted.
LIBVIRTD_CONF_SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/libvirtd.conf"
LIBVIRTD_CONF=/etc/virtweb/libvirtd.conf

install_libvirtd_conf() {
  cmp -s "$LIBVIRTD_CONF_SOURCE" "$LIBVIRTD_CONF" 2>/dev/null && return 0
  install -D -o root -g root -m 644 "$LIBVIRTD_CONF_SOURCE" "$LIBVIRTD_CONF"
}

# True on a hybrid cgroup layout: the v1 controllers on a tmpfs at /sys/fs/cgroup and a cgroup2 mounted below it
# (/sys/fs/cgroup/unified). libvirt 9.0's LXC driver cannot start a container there: it sets up the container's
# cgroups with the v2 backend first, which creates /sys/fs/cgroup/unified inside the container's fresh /sys before
# the v1 backend has mounted the tmpfs that directory belongs in ("Unable to create directory ...").
cgroup_layout_is_hybrid() {
  awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { print $5, $(i + 1) } }' /proc/self/mountinfo | awk '
    $1 == "/sys/fs/cgroup" && $2 == "tmpfs" { tmpfs = 1 }
    index($1, "/sys/fs/cgroup/") == 1 && $2 == "cgroup2" { below = 1 }
    END { exit !(tmpfs && below) }'
}

# Starts virtlogd (if needed) and libvirtd with the project's settings. On a hybrid cgroup layout libvirtd runs in a
# mount namespace of its own in which the cgroup2 mount is absent, so libvirt sees a pure v1 layout and its LXC
# driver starts containers; every controller but hugetlb is v1 on such machines anyway. The namespace is a slave
# of the host's: mounts made on the host still reach libvirtd, and the umount inside it never reaches the host.
start_libvirtd() {
  install_libvirtd_conf
  pgrep -x virtlogd >/dev/null || virtlogd -d
  if cgroup_layout_is_hybrid; then
    log "starting libvirtd in a private mount namespace without the cgroup2 mount (hybrid cgroup layout; see README, \"Containers\")"
    local unified
    unified="$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-" && $(i + 1) == "cgroup2") print $5 }' /proc/self/mountinfo | head -n 1)"
    unshare --mount --propagation slave -- sh -c 'umount "$1" && exec libvirtd -d -f "$2"' sh "$unified" "$LIBVIRTD_CONF"
  else
    libvirtd -d -f "$LIBVIRTD_CONF"
  fi
}

libvirt_answers_service_user() {
  runuser -u "$VIRTWEB_USER" -- virsh -c qemu:///system version >/dev/null 2>&1
}

# False when a running libvirtd sees the hybrid cgroup layout (it was started without start_libvirtd): its LXC
# driver cannot start containers, so ensure_libvirtd restarts it.
libvirtd_sees_no_hybrid_layout() {
  cgroup_layout_is_hybrid || return 0
  local pid
  pid="$(pgrep -x libvirtd | head -n 1)"
  [ -n "$pid" ] && ! grep -q ' - cgroup2 ' "/proc/$pid/mountinfo" 2>/dev/null
}

# libvirtd for qemu:///system with the project's socket settings; started by hand because there is no systemd.
# A libvirtd that answers root but not the VirtWeb user was started with other settings: it is restarted with
# ours (running guests keep running across a libvirtd restart). Call ensure_service_user first.
ensure_libvirtd() {
  if libvirt_answers_service_user && libvirtd_sees_no_hybrid_layout; then
    return 0
  fi
  if pgrep -x libvirtd >/dev/null; then
    log "restarting libvirtd with VirtWeb's socket settings ($LIBVIRTD_CONF) and a cgroup layout its LXC driver can use"
    pkill -TERM -x libvirtd || true
    local stop_deadline=$((SECONDS + 15))
    while pgrep -x libvirtd >/dev/null; do
      [ $SECONDS -lt $stop_deadline ] || { log "libvirtd did not stop within 15 s"; return 1; }
      sleep 0.2
    done
  else
    log "starting virtlogd and libvirtd"
  fi
  start_libvirtd
  local deadline=$((SECONDS + 30))
  until libvirt_answers_service_user; do
    [ $SECONDS -lt $deadline ] || { log "libvirtd did not answer the $VIRTWEB_USER user within 30 s; qemu:///system will be unavailable"; return 1; }
    sleep 0.5
  done
}
