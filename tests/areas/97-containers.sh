#!/usr/bin/env bash
# containers: netpin in real container runtimes, under their own default
# seccomp profiles, as root and as a restricted user (issue 24).
#
# One image per run, FROM scratch, built from the Dockerfile that README's
# "Containers" shows (taken from README itself): netpin, its rules
# (tests/containers/netpin.rules) and, as the command's files, a static
# busybox (Debian's busybox-static, fetched with tests/debfetch.sh), the
# static test programs and attacks (make static-helpers) and the tests
# (tests/containers/run.sh, tests/vm/escape.sh, tests/containers/escape-more.sh).
# Docker builds it (Podman where Docker is missing); containerd (ctr) and
# Podman import it.  Then, side by side, each case below runs
# tests/containers/run.sh in a container of its runtime: the mode and the
# Landlock layers netpin reports against what tests/containers/probe finds
# there (a silent fall-back fails), the basic allowed and refused calls,
# pinned DNS, a checked TLS and a checked HTTP connection, netpin where a
# seccomp listener is already taken (under netpin; under refuse listener),
# and the attacks of tests/escape, each judged by what a denied server
# received:
#   docker             Docker's default profile, root
#   docker-restricted  Docker, OpenShift restricted-v2's way, with the
#                      options of README's docker run line: uid 1000680000,
#                      group 0, --cap-drop ALL, no-new-privileges,
#                      --read-only (a tmpfs on /tmp), --pids-limit
#   docker-unconfined  Docker, --security-opt seccomp=unconfined: netpin
#                      must take the pidfd_getfd mode
#   ctr                containerd's default profile (ctr run --seccomp: the
#                      profile Kubernetes' RuntimeDefault is), root
#   ctr-restricted     the same as the Pod spec of README runs it (its
#                      runAsUser and runAsGroup, every capability dropped,
#                      no_new_privs, a read-only root and a tmpfs on /tmp):
#                      what runs in place of Kubernetes, which is not here
#   podman             Podman (rootful), its default profile, root
# and README's recipes as they are: its `docker run` line (and the same
# options under Podman) and its Pod spec's stand-in under ctr run the
# image's ENTRYPOINT, netpin -A /etc/netpin.rules -- /bin/app
# (tests/containers/app.sh).  Every container has a network namespace with
# loopback only (--network none; ctr's default) and every server is in it.
# A runtime that cannot run (no client, nothing answers on its socket, a
# container that cannot start) is a SKIP line saying why.  Every container,
# image and ctr namespace the area made is removed at its end.  The
# versions of the runtimes are in its notes.  Where nothing answers on
# Docker's socket the Docker and ctr cases are skipped: .ci/run starts
# dockerd (with no bridge and no firewall rules) before the tests.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
only_mode pidfd_getfd

ID=netpin-test-$$
IMAGE=netpin-test:$$
ROOT_IMAGE=netpin-test:$$-root
CTR_NS=$ID
CTR_SOCK=
for s in /var/run/docker/containerd/containerd.sock /run/containerd/containerd.sock; do
	[ -S "$s" ] && CTR_SOCK=$s && break
done
ctr_() { ctr -a "$CTR_SOCK" -n "$CTR_NS" "$@"; }
# podman: the rlimits it asks for by default need CAP_SYS_RESOURCE (root
# lacks it on the test machines: "error setting rlimit type 6"), and it
# lowers its own RLIMIT_NPROC to 32768: limits within both
limit() { # HARD CAP: the smaller
	if [ "$1" = unlimited ] || [ "$1" -gt "$2" ]; then echo "$2"; else echo "$1"; fi
}
nofile=$(limit "$(ulimit -Hn)" 65536) nproc=$(limit "$(ulimit -Hu)" 4096)
PODMAN_LIMITS=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")

cleanup_runtimes() {
	local c
	if [ -n "${HAVE_DOCKER:-}" ]; then
		for c in $(docker ps -aq --filter "name=^$ID-" 2>/dev/null); do
			docker rm -f "$c" >/dev/null 2>&1
		done
		docker rmi -f "$IMAGE" "$ROOT_IMAGE" >/dev/null 2>&1
	fi
	if [ -n "${HAVE_CTR:-}" ]; then
		for c in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$c" >/dev/null 2>&1; done
		sleep 0.2
		for c in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks rm -f "$c" >/dev/null 2>&1; done
		for c in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers rm "$c" >/dev/null 2>&1; done
		for c in $(ctr_ images ls -q 2>/dev/null); do ctr_ images rm --sync "$c" >/dev/null 2>&1; done
		for c in $(ctr_ content ls -q 2>/dev/null); do ctr_ content rm "$c" >/dev/null 2>&1; done
		ctr -a "$CTR_SOCK" namespaces rm "$CTR_NS" >/dev/null 2>&1
	fi
	if [ -n "${HAVE_PODMAN:-}" ]; then
		for c in $(podman ps -aq --filter "name=^$ID-" 2>/dev/null); do
			podman rm -f -t 0 "$c" >/dev/null 2>&1
		done
		podman rmi -f "localhost/$IMAGE" "localhost/$ROOT_IMAGE" >/dev/null 2>&1
	fi
}
trap 'cleanup_runtimes; area_end' EXIT

# ---- the runtimes here, and their versions ----------------------------------------
HAVE_DOCKER='' HAVE_CTR='' HAVE_PODMAN=''
WHY_DOCKER='' WHY_CTR='' WHY_PODMAN=''
if ! command -v docker >/dev/null; then
	WHY_DOCKER="no docker client (Debian: docker.io)"
elif ! v=$(timeout 20 docker version --format '{{.Client.Version}} {{.Server.Version}} {{.Server.APIVersion}}' 2>&1); then
	WHY_DOCKER="nothing answers on Docker's socket (.ci/run starts dockerd): $(tail -1 <<<"$v")"
else
	HAVE_DOCKER=1
	read -r dc ds da <<<"$v"
	echo "# $AREA: Docker engine $ds (API $da), client $dc; runc $(timeout 20 docker info --format '{{.RuncCommit.ID}}' 2>/dev/null); profile: the engine's default"
fi
if [ -z "$CTR_SOCK" ]; then
	WHY_CTR="no containerd socket (Docker's engine runs one: /var/run/docker/containerd/containerd.sock)"
elif ! command -v ctr >/dev/null; then
	WHY_CTR="no ctr (Debian: containerd)"
elif ! v=$(timeout 20 ctr -a "$CTR_SOCK" version 2>&1); then
	WHY_CTR="ctr -a $CTR_SOCK version: $(tail -1 <<<"$v")"
else
	HAVE_CTR=1
	echo "# $AREA: containerd $(awk '/^Server:/ { s = 1 } s && $1 == "Version:" { print $2; exit }' <<<"$v") ($CTR_SOCK), ctr $(awk '$1 == "Version:" { print $2; exit }' <<<"$v"); runc $(runc --version 2>/dev/null | awk 'NR == 1 { print $3 }'); profile: containerd's default (ctr run --seccomp)"
fi
if ! command -v podman >/dev/null; then
	WHY_PODMAN="no podman (Debian: podman)"
elif ! v=$(timeout 30 podman info --format '{{.Version.Version}} ({{.Host.OCIRuntime.Package}}); profile: {{.Host.Security.SECCOMPProfilePath}}' 2>&1); then
	WHY_PODMAN="podman info: $(tail -1 <<<"$v")"
else
	HAVE_PODMAN=1
	echo "# $AREA: Podman $(head -1 <<<"$v" | cut -c1-200) ($(dpkg-query -W -f '${Package} ${Version}' golang-github-containers-common 2>/dev/null))"
fi
echo "# $AREA: kernel $(uname -r); Landlock ABI here: $(make -s tests/static/probe >/dev/null 2>&1 && tests/static/probe | tr ' ' '\n' | sed -n 's/^landlock=//p')"
if [ -z "$HAVE_DOCKER$HAVE_CTR$HAVE_PODMAN" ]; then
	skip "containers: every runtime case" "no runtime: docker: $WHY_DOCKER; ctr: $WHY_CTR; podman: $WHY_PODMAN"
	exit 0
fi

# ---- README's recipes: the Dockerfile, the docker run line, the Pod spec ----------
# readme_block FIRST: README's indented block (4 spaces) that starts with
# the line "    FIRST...", unindented, backslash continuations kept
readme_block() {
	awk -v first="    $1" '
		!on && index($0, first) == 1 { on = 1 }
		on && !/^    / && !/^$/ { exit }
		on && /^$/ { exit }
		on { print substr($0, 5) }' README
}
DOCKERFILE=$(readme_block "FROM scratch")
RUN_LINE=$(readme_block "docker run --rm" | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta')
POD=$(readme_block "apiVersion: v1")
for b in DOCKERFILE RUN_LINE POD; do
	[ -n "${!b}" ] || { fail "containers: README's recipes are there" "no $b block in README's Containers"; exit 1; }
done
# the docker run line's options, with the image name (its last word) left out
read -ra RECIPE_OPTS <<<"${RUN_LINE#docker run --rm }"
unset 'RECIPE_OPTS[${#RECIPE_OPTS[@]}-1]'
# the Pod spec: the restricted Pod Security Standard's fields, and what
# ctr is given in their place
pod_field() { grep -E "^ *$1" <<<"$POD" | head -1 | sed -E "s/^ *$1 *//"; }
POD_UID=$(pod_field 'runAsUser:') POD_GID=$(pod_field 'runAsGroup:')
why=
[ "$(pod_field 'runAsNonRoot:')" = true ] || why="$why runAsNonRoot: true;"
[ "$(pod_field 'allowPrivilegeEscalation:')" = false ] || why="$why allowPrivilegeEscalation: false;"
[ "$(pod_field 'drop:')" = '["ALL"]' ] || why="$why capabilities: drop: [\"ALL\"];"
[ "$(pod_field 'type:')" = RuntimeDefault ] || why="$why seccompProfile: type: RuntimeDefault;"
[ "$(pod_field 'readOnlyRootFilesystem:')" = true ] || why="$why readOnlyRootFilesystem: true;"
case $POD_UID in '' | 0 | *[!0-9]*) why="$why runAsUser: a number, not 0;" ;; esac
[ -z "$why" ] && pass "containers: README's Pod spec has the restricted Pod Security Standard's fields" ||
	fail "containers: README's Pod spec has the restricted Pod Security Standard's fields" "missing:$why"
case $DOCKERFILE in
*"USER $POD_UID:$POD_GID"*) pass "containers: README's Dockerfile runs as the Pod spec's user ($POD_UID:$POD_GID)" ;;
*) fail "containers: README's Dockerfile runs as the Pod spec's user ($POD_UID:$POD_GID)" "$(grep USER <<<"$DOCKERFILE")" ;;
esac
# every capability (ctr's --cap-drop takes names, and no ALL)
CTR_CAPS=()
for c in CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP \
	LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER \
	SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE \
	SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP \
	MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF \
	CHECKPOINT_RESTORE; do
	CTR_CAPS+=(--cap-drop "CAP_$c")
done
CTR_TMPFS=(--mount "type=tmpfs,src=tmpfs,dst=/tmp,options=rw:nosuid:nodev:mode=1777")
# the Pod spec under ctr: runAsUser and runAsGroup are the image's USER
# (ctr has no flag for them; checked above), seccompProfile RuntimeDefault
# is --seccomp, allowPrivilegeEscalation: false ctr's default
# (no_new_privs), readOnlyRootFilesystem --read-only, the emptyDir a tmpfs
POD_CTR=(--seccomp --read-only "${CTR_CAPS[@]}" "${CTR_TMPFS[@]}")

# ---- the image ----------------------------------------------------------------------
SECONDS=0
if ! make -s netpin static-helpers >"$T/build.log" 2>&1; then
	fail "containers: make static-helpers" "$(grep -v 'getaddrinfo\|op_resolve' "$T/build.log" | tail -5)"
	exit 1
fi
CACHE=${NETPIN_VM_CACHE:-$ROOT/tests/vm-cache}
MIRROR=${NETPIN_VM_MIRROR:-http://deb.debian.org/debian}
WORK=$T
note() { echo "# $AREA: $*"; }
# shellcheck source=tests/debfetch.sh
. tests/debfetch.sh
if ! bb=$(fetch bookworm busybox-static:amd64) || ! dpkg-deb -x "$bb" "$T/bb"; then
	skip "containers: every runtime case" "no static busybox for the image: $(grep -m1 '^E: ' "$T/download.log")"
	exit 0
fi
C=$T/ctx
A=$C/app
mkdir -p "$A/bin" "$A/escape" "$A/tests" "$A/etc" "$A/tmp"
chmod 1777 "$A/tmp"
cp netpin "$C/netpin"
cp tests/containers/netpin.rules "$C/netpin.rules"
printf '%s\n' "$DOCKERFILE" >"$C/Dockerfile"
cp "$T/bb/bin/busybox" "$A/bin/busybox"
for n in $("$A/bin/busybox" --list); do
	[ -e "$A/bin/$n" ] || ln -s busybox "$A/bin/$n"
done
for f in netop refuse recorder asuser probe bench; do cp "tests/static/$f" "$A/bin/$f"; done
ln -s refuse "$A/bin/np-addfd"
install -m 755 tests/containers/app.sh "$A/bin/app"
cp tests/static/escape/* "$A/escape/"
install -m 644 tests/escape/judge.sh "$A/escape/"
install -m 644 tests/vm/escape.sh "$A/escape.sh"
install -m 644 tests/containers/run.sh tests/containers/escape-more.sh "$A/tests/"
# the image, and a tag of it whose USER is root (ctr has no --user: it
# runs the image's), which adds no layer; both saved for ctr and podman
if [ -n "$HAVE_DOCKER" ]; then
	BUILDER=docker
	# (the classic builder: Docker 20.10's BuildKit would fetch its frontend)
	build() { DOCKER_BUILDKIT=0 docker build -q -t "$@"; }
	save() { docker save -o "$@"; }
	FROM=$IMAGE
	# (the name ctr gives an image of docker save's)
	CTR_REF=docker.io/library
else
	BUILDER=podman
	build() { podman build -q -t "$@"; }
	save() { podman save -m --format docker-archive -o "$@"; }
	FROM=localhost/$IMAGE
	CTR_REF=localhost
fi
printf 'FROM %s\nUSER 0:0\n' "$FROM" >"$T/Dockerfile.root"
build "$IMAGE" "$C" >"$T/image.log" 2>&1 &&
	build "$ROOT_IMAGE" -f "$T/Dockerfile.root" "$T" >>"$T/image.log" 2>&1 &&
	save "$T/image.tar" "$IMAGE" "$ROOT_IMAGE" >>"$T/image.log" 2>&1
built=$?
if [ $built != 0 ] || [ ! -s "$T/image.tar" ]; then
	fail "containers: the image builds (README's Dockerfile, FROM scratch)" "$BUILDER: $(tail -3 "$T/image.log")"
	exit 1
fi
pass "containers: the image builds from README's Dockerfile, FROM scratch, with no registry ($BUILDER, $(du -m "$T/image.tar" | cut -f1) MiB)"
if [ -n "$HAVE_CTR" ] && ! ctr_ images import "$T/image.tar" >"$T/ctr-import.log" 2>&1; then
	WHY_CTR="ctr images import: $(tail -1 "$T/ctr-import.log")" HAVE_CTR=
fi
if [ -n "$HAVE_PODMAN" ] && [ $BUILDER != podman ] && ! podman load -q -i "$T/image.tar" >"$T/podman-load.log" 2>&1; then
	WHY_PODMAN="podman load: $(tail -1 "$T/podman-load.log")" HAVE_PODMAN=
fi
rm -f "$T/image.tar"
echo "# $AREA: image built and imported in $SECONDS s"

# ---- the cases, side by side ----------------------------------------------------------
DRIVER=(/bin/sh /tests/run.sh)
# CASE RUNTIME LABEL EXPECT: runtime args come from case_cmd
CASES=(
	"docker|docker, default profile, root|addfd"
	"docker-restricted|docker, default profile, restricted user|addfd"
	"docker-unconfined|docker, seccomp=unconfined, root|pidfd_getfd"
	"ctr|containerd (ctr --seccomp), root|addfd"
	"ctr-restricted|containerd (ctr --seccomp), the Pod spec's restricted user|addfd"
	"podman|podman, default profile, root|probe"
)
# case_cmd NAME LABEL EXPECT: the command line of that case in CMD
case_cmd() {
	local name=$1 label=$2 expect=$3
	case $name in
	docker) CMD=(docker run --rm --name "$ID-$name" --network none --user 0:0 --entrypoint /bin/sh
		"$IMAGE" /tests/run.sh "$label" "$expect") ;;
	docker-restricted) CMD=(docker run --rm --name "$ID-$name" --network none "${RECIPE_OPTS[@]}"
		--entrypoint /bin/sh "$IMAGE" /tests/run.sh "$label" "$expect") ;;
	docker-unconfined) CMD=(docker run --rm --name "$ID-$name" --network none --user 0:0
		--security-opt seccomp=unconfined --entrypoint /bin/sh "$IMAGE" /tests/run.sh "$label" "$expect") ;;
	ctr) CMD=(ctr -a "$CTR_SOCK" -n "$CTR_NS" run --rm --seccomp
		"$CTR_REF/$ROOT_IMAGE" "$ID-$name" "${DRIVER[@]}" "$label" "$expect") ;;
	ctr-restricted) CMD=(ctr -a "$CTR_SOCK" -n "$CTR_NS" run --rm "${POD_CTR[@]}"
		"$CTR_REF/$IMAGE" "$ID-$name" "${DRIVER[@]}" "$label" "$expect") ;;
	podman) CMD=(podman run --rm --name "$ID-$name" --network none --user 0:0 "${PODMAN_LIMITS[@]}"
		--entrypoint /bin/sh "localhost/$IMAGE" /tests/run.sh "$label" "$expect") ;;
	esac
}
# runtime_of NAME: docker, ctr or podman
runtime_of() { echo "${1%%-*}"; }
SECONDS=0
declare -A STARTED=()
for c in "${CASES[@]}"; do
	IFS='|' read -r name label expect <<<"$c"
	r=$(runtime_of "$name")
	h=HAVE_${r^^}
	[ -n "${!h}" ] || continue
	case_cmd "$name" "$label" "$expect"
	timeout -k 10 420 "${CMD[@]}" </dev/null >"$T/$name.out" 2>"$T/$name.err" &
	STARTED[$name]=$!
done
# README's recipes, as they are: the docker run line (under Podman too),
# and the Pod spec's stand-in under ctr; their ENTRYPOINT runs netpin -A
# /etc/netpin.rules -- /bin/app
if [ -n "$HAVE_DOCKER" ]; then
	timeout -k 10 120 docker run --rm --name "$ID-recipe" --network none "${RECIPE_OPTS[@]}" "$IMAGE" \
		</dev/null >"$T/recipe-docker.out" 2>"$T/recipe-docker.err" &
	STARTED[recipe-docker]=$!
fi
if [ -n "$HAVE_PODMAN" ]; then
	timeout -k 10 120 podman run --rm --name "$ID-recipe" --network none "${PODMAN_LIMITS[@]}" "${RECIPE_OPTS[@]}" \
		"localhost/$IMAGE" </dev/null >"$T/recipe-podman.out" 2>"$T/recipe-podman.err" &
	STARTED[recipe-podman]=$!
fi
if [ -n "$HAVE_CTR" ]; then
	timeout -k 10 120 ctr -a "$CTR_SOCK" -n "$CTR_NS" run --rm "${POD_CTR[@]}" "$CTR_REF/$IMAGE" "$ID-recipe" \
		</dev/null >"$T/recipe-ctr.out" 2>"$T/recipe-ctr.err" &
	STARTED[recipe-ctr]=$!
fi
for name in "${!STARTED[@]}"; do
	wait "${STARTED[$name]}"
	echo $? >"$T/$name.rc"
done
echo "# $AREA: the cases ran side by side in $SECONDS s"

# ---- what each said -----------------------------------------------------------------
for c in "${CASES[@]}"; do
	IFS='|' read -r name label expect <<<"$c"
	r=$(runtime_of "$name")
	h=HAVE_${r^^} w=WHY_${r^^}
	if [ -z "${!h}" ]; then
		skip "$label: every test" "${!w}"
		continue
	fi
	rc=$(cat "$T/$name.rc")
	if ! grep -q "^# $label: " "$T/$name.out"; then
		# the runtime could not start it
		skip "$label: every test" "$r could not start the container (exit $rc): $(tail -3 "$T/$name.err" | tr '\n' ' ' | cut -c1-400)"
		continue
	fi
	grep -aE "^(ok|not ok) - |^# " "$T/$name.out"
	grep -q "^# $label: at [0-9]* s: end$" "$T/$name.out" &&
		pass "$label: the tests ran to their end (exit $rc)" ||
		fail "$label: the tests ran to their end" "exit $rc (124: the runtime's run took over 420 s); stderr: $(tail -3 "$T/$name.err" | tr '\n' ' ')"
done
# recipe_verdict NAME WHAT: the app's line and record under netpin -A rules
recipe_verdict() {
	local name=$1 what=$2 o
	[ -e "$T/$name.rc" ] || return 0
	o=$(cat "$T/$name.out")
	if [ -z "$o" ]; then
		skip "$what" "the runtime could not start it (exit $(cat "$T/$name.rc")): $(tail -3 "$T/$name.err" | tr '\n' ' ' | cut -c1-400)"
	elif [[ $o == *"allowed=ok denied=EHOSTUNREACH"* && $o == *"tcp 127.0.0.2:9000 app-allowed"* &&
		$o != *"127.0.0.3:9000 app-denied"* ]]; then
		pass "$what"
	else
		fail "$what" "exit $(cat "$T/$name.rc"): $o; stderr: $(tail -5 "$T/$name.err" | tr '\n' ' ')"
	fi
}
recipe_verdict recipe-docker "README's docker run line (restricted user), the image's ENTRYPOINT: allowed reaches its server, denied is refused"
recipe_verdict recipe-podman "README's docker run line under podman, the image's ENTRYPOINT: allowed reaches its server, denied is refused"
recipe_verdict recipe-ctr "README's Pod spec, as ctr --seccomp runs it, the image's ENTRYPOINT: allowed reaches its server, denied is refused"
