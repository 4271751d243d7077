#!/usr/bin/env bash
# Installs the system pieces pgcluster needs, only what is missing:
# PostgreSQL 15 (+ server headers, hypopg, pg_repack, pg_qualstats), PgBouncer, Patroni, etcd, pgBackRest, Prometheus (promtool),
# and pgvector 0.8.0 built from Debian's *source* package.
# Idempotent: on a ready machine it checks and returns in well under a second.
set -euo pipefail

PG_MAJOR=15
PGVECTOR_VERSION=0.8.0
PG_BINDIR=/usr/lib/postgresql/${PG_MAJOR}/bin
PG_CONFIG=${PG_BINDIR}/pg_config
APT_PACKAGES=(
  "postgresql-${PG_MAJOR}" "postgresql-contrib" "postgresql-server-dev-${PG_MAJOR}" "postgresql-${PG_MAJOR}-hypopg"
  pgbouncer patroni etcd-server pgbackrest dpkg-dev build-essential
  prometheus      # promtool: tests check every skill's --format prometheus with `promtool check metrics`
  check-postgres  # the baseline of bench:monitoring
  "postgresql-${PG_MAJOR}-pgaudit"  # security-audit checks for it; its tests load it
  chromium        # the dashboard's end-to-end test drives it headless through playwright-core
  "postgresql-${PG_MAJOR}-repack"      # maintenance-vacuum --repack: online bloat removal (pg_repack binary + extension)
  "postgresql-${PG_MAJOR}-pg-qualstats"  # maintenance-optimize reads its predicates when it is loaded
)

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

missing_packages() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
  done
}

pgvector_installed() {
  [ -x "$PG_CONFIG" ] || return 1
  local ctl="$("$PG_CONFIG" --sharedir)/extension/vector.control"
  [ -f "$ctl" ] && grep -q "default_version = '${PGVECTOR_VERSION}'" "$ctl" \
    && [ -f "$("$PG_CONFIG" --pkglibdir)/vector.so" ]
}

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    die "$1 needs root. Run as root: sudo bash scripts/setup-system.sh  (or install it yourself: $2)"
  fi
  command -v apt-get >/dev/null || die "$1 needs apt-get (Debian/Ubuntu). Install by hand: $2"
}

mapfile -t MISSING < <(missing_packages)
if [ "${#MISSING[@]}" -gt 0 ]; then
  need_root "installing ${MISSING[*]}" "apt-get install ${MISSING[*]}"
  log "installing from Debian: ${MISSING[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's postgresql-common would create and start a 'main' cluster for a new server
  # package; we manage our own clusters, so keep it from creating one when it is not there yet.
  mkdir -p /etc/postgresql-common
  if [ ! -f /etc/postgresql-common/createcluster.conf ] || ! grep -q '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
    echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  fi
  apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null
  # Packages that start services on install (etcd, patroni, pgbouncer) must not hold our ports.
  for svc in etcd pgbouncer patroni prometheus; do
    pkill -x "$svc" 2>/dev/null || true
  done
fi

if ! pgvector_installed; then
  need_root "building pgvector ${PGVECTOR_VERSION}" "build pgvector ${PGVECTOR_VERSION} from source with PG_CONFIG=${PG_CONFIG}"
  # Bookworm has no pgvector package; the next release (trixie) ships 0.8.0 as source.
  # A deb-src entry only: no binary package from another release is ever installed.
  SRC_LIST=/etc/apt/sources.list.d/pgcluster-pgvector-src.sources
  if [ ! -f "$SRC_LIST" ]; then
    log "adding a deb-src entry for Debian trixie (source packages only)"
    cat > "$SRC_LIST" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt-get update -qq
  fi
  BUILD_DIR=$(mktemp -d)
  trap 'rm -rf "$BUILD_DIR"' EXIT
  log "building pgvector ${PGVECTOR_VERSION} from Debian's source package in ${BUILD_DIR}"
  (
    cd "$BUILD_DIR"
    version=$(apt-cache showsrc pgvector | awk -v v="$PGVECTOR_VERSION" '$1=="Version:" && index($2, v"-")==1 {print $2; exit}')
    [ -n "$version" ] || die "Debian has no pgvector ${PGVECTOR_VERSION} source package (apt-cache showsrc pgvector)"
    apt-get source -qq --download-only "pgvector=${version}" >/dev/null
    dpkg-source -x --no-check ./*.dsc src >/dev/null
    cd src
    make -s PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
    make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
  )
  pgvector_installed || die "pgvector ${PGVECTOR_VERSION} did not install into $("$PG_CONFIG" --sharedir)/extension"
  log "pgvector ${PGVECTOR_VERSION} installed"
fi
