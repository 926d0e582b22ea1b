#!/usr/bin/env bash
# Boots the tiny test guest under libvirt (qemu:///system) and checks what the tests
# rely on: agent answers, SMBIOS machine-id credential, cloned disk keeps its id,
# dbus-uuidgen fallback, VGA output, ACPI and agent shutdown. Exits non-zero on the
# first failure; removes its domains and files either way.
#
#   usage: tests/guest/check-guest.sh [REPO_ROOT]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "${1:-$here/../..}" && pwd)
BOOT_LIMIT=${BOOT_LIMIT:-45}
SHUTDOWN_LIMIT=${SHUTDOWN_LIMIT:-20}
URI=qemu:///system
virsh() { command virsh -q -c "$URI" "$@"; }
say() { echo "check-guest: $*"; }
fail() { say "FAIL: $*" >&2; exit 1; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# Polls "$@" until it succeeds or LIMIT seconds pass.
wait_for() {
	local limit=$1 what=$2 end
	shift 2
	end=$(($(now_ms) + limit * 1000))
	until "$@" >/dev/null 2>&1; do
		(($(now_ms) < end)) || fail "$what: not within ${limit}s"
		sleep 0.2
	done
}

guest=$("$here/build-guest.sh" "$repo" | tail -n 1)
cmdline=$(sed -n 's/^cmdline //p' "$guest/manifest")

if ! virsh uri >/dev/null 2>&1; then
	say "starting libvirtd"
	pgrep -x virtlogd >/dev/null || virtlogd -d
	pgrep -x libvirtd >/dev/null || libvirtd -d
	wait_for 30 "libvirtd answering" virsh uri
fi

# libvirt chowns kernel, initrd and disks to the qemu user (qemu.conf
# dynamic_ownership) while a domain runs: work on copies in a directory that user can
# traverse, and leave the shared build output alone.
work=$(mktemp -d "${TMPDIR:-/tmp}/virtweb-guest.XXXXXX")
chmod 755 "$work"
domains=()
cleanup() {
	for d in "${domains[@]}"; do
		virsh destroy "$d" >/dev/null 2>&1 || true
		virsh undefine "$d" >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
cp "$guest/vmlinuz" "$guest/initrd.img" "$work/"
cp "$guest/disk.qcow2" "$work/base.qcow2"

new_id() { tr -d - </proc/sys/kernel/random/uuid; }

# define NAME DISK [MACHINE_ID]: without an id the SMBIOS credential is left out.
define() {
	local name=$1 xml=$work/$1.xml
	sed -e "s|@NAME@|$name|; s|@KERNEL@|$work/vmlinuz|; s|@INITRD@|$work/initrd.img|" \
		-e "s|@CMDLINE@|$cmdline|; s|@DISK@|$2|; s|@VNC_LISTEN@|127.0.0.1|; s|@MACHINE_ID@|${3:-}|" \
		-e "s|@SERIAL_LOG@|$work/$name.serial|" \
		"$here/domain-template.xml" >"$xml"
	[[ -n ${3:-} ]] || sed -i -e '/<sysinfo /,/<\/sysinfo>/d' -e '/<smbios /d' "$xml"
	domains+=("$name")
	virsh define "$xml" >/dev/null
}

qga() { virsh qemu-agent-command "$1" "$2" --timeout 10; }
json_field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }

# Boots DOMAIN and prints the seconds until guest-ping answers.
boot() {
	local t0
	t0=$(now_ms)
	virsh start "$1" >/dev/null
	wait_for "$BOOT_LIMIT" "$1 guest-ping" qga "$1" '{"execute":"guest-ping"}'
	secs $(($(now_ms) - t0))
}

read_file() {
	local h out
	h=$(qga "$1" "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"$2\"}}" | json_field return)
	out=$(qga "$1" "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":$h,\"count\":65536}}")
	qga "$1" "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":$h}}" >/dev/null
	json_field buf-b64 <<<"$out" | base64 -d
}

write_file() {
	local h
	h=$(qga "$1" "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"$2\",\"mode\":\"w\"}}" | json_field return)
	qga "$1" "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":$h,\"buf-b64\":\"$(printf %s "$3" | base64 -w0)\"}}" >/dev/null
	qga "$1" "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":$h}}" >/dev/null
}

# guest-exec DOMAIN PATH [ARG]: prints the command's stdout once it has exited 0.
exec_out() {
	local args="" pid status
	[[ -n ${3:-} ]] && args=",\"arg\":[\"$3\"]"
	pid=$(qga "$1" "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"$2\"$args,\"capture-output\":true}}" | json_field pid)
	# qemu-ga forgets the process once it has reported it exited: keep that answer.
	exited() { status=$(qga "$1" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") && [[ $status == *'"exited":true'* ]]; }
	wait_for 10 "guest-exec $2" exited "$1"
	[[ $(json_field exitcode <<<"$status") == 0 ]] || fail "guest-exec $2 failed: $status"
	json_field out-data <<<"$status" | base64 -d
}

is_off() { [[ $(virsh domstate "$1") == "shut off" ]]; }

# Ends DOMAIN with HOW (acpi|agent); prints the seconds until it is shut off.
shutdown_by() {
	local t0
	t0=$(now_ms)
	case $2 in
	acpi) virsh shutdown "$1" --mode acpi >/dev/null ;;
	agent) qga "$1" '{"execute":"guest-shutdown"}' >/dev/null 2>&1 || true ;;
	esac
	wait_for "$SHUTDOWN_LIMIT" "$1 shut off after $2 shutdown" is_off "$1"
	secs $(($(now_ms) - t0))
}

# The VGA screen must show something. virsh screenshot (virDomainScreenshot) gets a
# PNG from this QEMU, which shell tools cannot decode; QEMU's own screendump writes
# a PPM, as the qemu user, so into a directory that user owns.
screen_not_blank() {
	local shots=$work/screens ppm colours user
	virsh screenshot "$1" "$work/screenshot" >/dev/null
	[[ $(head -c 4 "$work/screenshot" | od -An -c | tr -d ' ') =~ ^(211PNG|P6) ]] ||
		fail "virsh screenshot gave no image"
	user=$(ps -o user= -p "$(cat "/run/libvirt/qemu/$1.pid")")
	install -d -m 700 -o "$user" "$shots"
	ppm=$shots/$1.ppm
	virsh qemu-monitor-command "$1" "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$ppm\"}}" >/dev/null
	[[ $(head -c 2 "$ppm") == P6 ]] || fail "screendump is not a P6 PPM"
	colours=$(tail -n +4 "$ppm" | od -An -v -tx1 -w3 | sort -u | wc -l)
	((colours > 1)) || fail "VGA screen is blank"
	echo "$colours"
}

# 1. A fresh disk takes the id offered as SMBIOS credential.
id1=$(new_id)
qemu-img create -q -f qcow2 -F qcow2 -b "$work/base.qcow2" "$work/vm1.qcow2"
vm1=virtweb-check-$$-vm1
define "$vm1" "$work/vm1.qcow2" "$id1"
t=$(boot "$vm1")
say "boot to guest-ping: ${t}s"
got=$(read_file "$vm1" /etc/machine-id)
[[ $got == "$id1" ]] || fail "machine-id '$got', SMBIOS offered '$id1'"
say "fresh disk took the SMBIOS machine-id $got"
grep -aq "booted, machine-id $id1" "$work/$vm1.serial" || fail "no banner on the serial console"
got=$(exec_out "$vm1" /usr/bin/dbus-uuidgen --get)
[[ $got == "$id1" ]] || fail "dbus-uuidgen --get says '$got'"
for cmd in guest-info guest-get-osinfo guest-get-host-name guest-network-get-interfaces; do
	qga "$vm1" "{\"execute\":\"$cmd\"}" >/dev/null || fail "$cmd"
done
[[ $(qga "$vm1" '{"execute":"guest-get-osinfo"}') == *'"id":"virtweb-tiny"'* ]] || fail "guest-get-osinfo"
[[ $(qga "$vm1" '{"execute":"guest-network-get-interfaces"}') == *'"name":"eth0"'* ]] || fail "no eth0"
write_file "$vm1" /tmp/check "written by check-guest"
[[ $(read_file "$vm1" /tmp/check) == "written by check-guest" ]] || fail "guest-file-write/read"
n=$(screen_not_blank "$vm1")
say "agent commands answer; VGA screen shows $n colours"
t=$(shutdown_by "$vm1" acpi)
say "virsh shutdown (ACPI): ${t}s"

# 2. A copy of that disk keeps its id, whatever SMBIOS offers now.
qemu-img convert -O qcow2 "$work/vm1.qcow2" "$work/clone.qcow2"
vm2=virtweb-check-$$-clone
define "$vm2" "$work/clone.qcow2" "$(new_id)"
t=$(boot "$vm2")
say "clone boot to guest-ping: ${t}s"
got=$(read_file "$vm2" /etc/machine-id)
[[ $got == "$id1" ]] || fail "clone has machine-id '$got', expected '$id1'"
! grep -aq 'recovery complete' "$work/$vm2.serial" || fail "disk was not cleanly unmounted at shutdown"
say "cloned disk kept machine-id $got"
t=$(shutdown_by "$vm2" agent)
say "guest-shutdown: ${t}s"

# 3. Without the credential the guest makes its own with dbus-uuidgen.
qemu-img create -q -f qcow2 -F qcow2 -b "$work/base.qcow2" "$work/vm3.qcow2"
vm3=virtweb-check-$$-plain
define "$vm3" "$work/vm3.qcow2"
t=$(boot "$vm3")
say "boot without SMBIOS id to guest-ping: ${t}s"
got=$(read_file "$vm3" /etc/machine-id)
[[ $got =~ ^[0-9a-f]{32}$ && $got != "$id1" ]] || fail "generated machine-id '$got'"
say "dbus-uuidgen made machine-id $got"
t=$(shutdown_by "$vm3" acpi)
say "virsh shutdown (ACPI): ${t}s"

say "all checks passed"
