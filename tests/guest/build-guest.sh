#!/usr/bin/env bash
# Builds the tiny Linux test guest (kernel, initramfs, qcow2 system disk) from Debian
# packages only, into REPO_ROOT/.data/guest/<key>/, and prints that directory last.
# The key hashes the exact .deb files and this folder's build inputs, so an
# unchanged guest is reused at once.
#
#   usage: tests/guest/build-guest.sh [REPO_ROOT]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "${1:-$here/../..}" && pwd)
top=$repo/.data/guest
cache=$top/debs
log() { echo "build-guest: $*" >&2; }

# The cloud flavour has all this guest needs (virtio, ACPI button, DMI sysfs, VGA
# console) in a third of the generic kernel's size.
KERNEL_META=linux-image-cloud-amd64
TOOL_PKGS=(busybox-static qemu-guest-agent dbus-bin)
# ata_piix, sr_mod and isofs read a NoCloud seed (an ISO 9660 CD-ROM labelled cidata) on the IDE bus of the pc machine.
MODULES=(virtio_pci virtio_blk virtio_net virtio_console button evdev ata_piix sr_mod isofs)
# no_timer_check: under TCG on a starved host the IO-APIC timer check can fail and panic the boot ("IO-APIC + timer
# doesn't work"); cloud images pass it for the same reason.
CMDLINE="console=tty0 console=ttyS0 no_timer_check"
DISK_SIZE=64M
GUEST_VERSION=1

export DEBIAN_FRONTEND=noninteractive
# Without its binary cache (Debian's docker images disable it) apt re-parses every
# package list on each call, about a second each: keep our own.
mkdir -p "$top/apt"
apt_opts=(-o DPkg::Lock::Timeout=900 -o APT::Sandbox::User=root
	-o Dir::Cache::pkgcache="$top/apt/pkgcache.bin" -o Dir::Cache::srcpkgcache="$top/apt/srcpkgcache.bin")
apt_cache() { apt-cache "${apt_opts[@]}" "$@"; }

# A fresh machine may have no package lists yet.
if ! apt_cache show "$KERNEL_META" >/dev/null 2>&1; then
	apt-get "${apt_opts[@]}" update -qq >&2
fi

# Runtime libraries of the tools: the Depends closure restricted to lib* packages,
# taking only the first of each alternative (libsystemd0, not libelogind0).
lib_closure() {
	local -A seen=()
	local level=("$@") new p
	while ((${#level[@]})); do
		new=()
		for p in "${level[@]}"; do
			[[ -n ${seen[$p]:-} ]] || { seen[$p]=1; new+=("$p"); echo "$p"; }
		done
		((${#new[@]})) || break
		mapfile -t level < <(apt_cache depends --no-recommends --no-suggests --no-conflicts \
			--no-breaks --no-replaces --no-enhances "${new[@]}" | awk '
			skip { skip = ($1 ~ /^\|/); next }
			$1 ~ /^\|?(Pre)?Depends:$/ {
				if ($2 ~ /^lib/ && $2 !~ /-perl$|^libperl/) print $2
				skip = ($1 ~ /^\|/)
			}' | sort -u)
	done
}

kernel_pkg=$(apt_cache depends "$KERNEL_META" | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[[ -n $kernel_pkg ]] || { log "cannot resolve $KERNEL_META"; exit 1; }
mapfile -t pkgs < <(echo "$kernel_pkg"; lib_closure "${TOOL_PKGS[@]}")
# Lines: 'URL' FILE SIZE SHA256:HEX
uris=$(apt-get "${apt_opts[@]}" download --print-uris "${pkgs[@]}" | sort -k2)

key=$({
	echo "$uris" | awk '{ print $2, $4 }'
	cd "$here" && find build-guest.sh rootfs -printf '%p %m\n' | LC_ALL=C sort
	find build-guest.sh rootfs -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
} | sha256sum | cut -c1-16)
out=$top/$key
if [[ -f $out/manifest ]]; then
	log "reusing $out"
	echo "$out"
	exit 0
fi

start=$SECONDS
need=()
for tool in mke2fs:e2fsprogs qemu-img:qemu-utils cpio:cpio gzip:gzip; do
	command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if ((${#need[@]})); then
	log "installing ${need[*]}"
	apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${need[@]}" >&2
fi

mkdir -p "$cache" "$top"
work=$(mktemp -d "$top/.build-$key.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Fetch what is not cached yet, then check every file against apt's hash.
missing=()
while read -r _ file _ sum; do
	[[ -f $cache/$file ]] && echo "${sum#SHA256:}  $cache/$file" | sha256sum -c --status ||
		missing+=("${file%%_*}")
done <<<"$uris"
if ((${#missing[@]})); then
	log "downloading ${missing[*]}"
	(cd "$cache" && apt-get "${apt_opts[@]}" download -q "${missing[@]}" >&2)
fi
while read -r _ file _ sum; do
	echo "${sum#SHA256:}  $cache/$file" | sha256sum -c --status || { log "bad $file"; exit 1; }
done <<<"$uris"

files=$(echo "$uris" | awk '{ print $2 }')
kernel_deb=$(grep "^${kernel_pkg}_" <<<"$files")
dpkg-deb -x "$cache/$kernel_deb" "$work/kernel"
for f in $(grep -v "^${kernel_pkg}_" <<<"$files"); do dpkg-deb -x "$cache/$f" "$work/pkgs"; done

root=$work/initramfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib/virtweb,lib64,lib/x86_64-linux-gnu} \
	"$root"/{proc,sys,dev,run,tmp,sysroot,root,var/lib/dbus}
cp -a "$here/rootfs/." "$root/"

# busybox applets as links, except where this guest brings its own (/sbin/shutdown).
cp "$work/pkgs/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list-full); do
	[[ -e $root/$applet || -L $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done

# Copy the tools and the shared libraries the package loader resolves for them
# (inside the extracted packages only, never from this host).
cp "$work/pkgs/usr/sbin/qemu-ga" "$root/usr/sbin/"
cp "$work/pkgs/usr/bin/dbus-uuidgen" "$root/usr/bin/"
ld_so=$(find "$work/pkgs" -name ld-linux-x86-64.so.2 -type f | head -n1)
cp "$ld_so" "$root/lib64/ld-linux-x86-64.so.2"
libpath=$(find "$work/pkgs" -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)
for bin in "$root/usr/sbin/qemu-ga" "$root/usr/bin/dbus-uuidgen"; do
	"$ld_so" --library-path "$libpath" --list "$bin" | awk '$2 == "=>" && $1 !~ /^\// { print $1, $3 }'
done | sort -u | while read -r soname path; do
	[[ $path == "$work/pkgs/"* ]] || { log "$soname not found in the packages ($path)"; exit 1; }
	cp -L "$path" "$root/lib/x86_64-linux-gnu/$soname"
done

# Loadable modules (builtins skipped) with their dependencies, then busybox depmod.
kver=$(ls "$work/kernel/lib/modules")
kmods=$work/kernel/lib/modules/$kver
load=()
declare -A copied=()
add_module() {
	local name=${1//-/_} path dep
	[[ -n ${copied[$name]:-} ]] && return
	copied[$name]=1
	grep -q "/${name}.ko" "$kmods/modules.builtin" && return
	path=$(cd "$kmods" && find kernel \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) | head -n1)
	[[ -n $path ]] || { log "module $name not in $kernel_pkg"; exit 1; }
	for dep in $(tr '\0' '\n' <"$kmods/$path" | sed -n 's/^depends=//p' | tr , ' '); do add_module "$dep"; done
	install -D -m 644 "$kmods/$path" "$root/lib/modules/$kver/$path"
}
for m in "${MODULES[@]}"; do
	add_module "$m"
	grep -q "/${m}.ko" "$kmods/modules.builtin" || load+=("$m")
done
cp "$kmods/modules.builtin" "$kmods/modules.order" "$root/lib/modules/$kver/"
"$root/bin/busybox" depmod -b "$root" "$kver"
echo "${load[*]}" >"$root/usr/lib/virtweb/modules"

pkgver() { grep "^$1_" <<<"$files" | cut -d_ -f2 | sed 's/%3a/:/'; }
cat >"$root/usr/lib/os-release" <<EOF
NAME="VirtWeb tiny guest"
ID=virtweb-tiny
ID_LIKE=debian
VERSION_ID=$GUEST_VERSION
VERSION="$GUEST_VERSION ($key)"
PRETTY_NAME="VirtWeb tiny guest $GUEST_VERSION ($key)"
BUILD_ID=$key
EOF
ln -s ../usr/lib/os-release "$root/etc/os-release"
ln -s ../run/resolv.conf "$root/etc/resolv.conf"
ln -s /etc/machine-id "$root/var/lib/dbus/machine-id"
ln -s ../run "$root/var/run"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 -n >"$work/initrd.img"
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"

# The disk carries the persistent /etc; no machine-id, so first boot assigns one.
mkdir -p "$work/disk"
cp -a "$root/etc" "$work/disk/etc"
mke2fs -q -F -t ext4 -L virtweb-tiny -m 0 -E root_owner=0:0 -d "$work/disk" "$work/disk.raw" "$DISK_SIZE" >&2
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2"

mkdir -p "$work/out"
mv "$work/vmlinuz" "$work/initrd.img" "$work/disk.qcow2" "$work/out/"
{
	echo "key $key"
	echo "guest_version $GUEST_VERSION"
	echo "kernel $kver"
	echo "cmdline $CMDLINE"
	echo "modules ${load[*]}"
	for p in "${pkgs[@]}"; do echo "package $p $(pkgver "$p")"; done
	for f in vmlinuz initrd.img disk.qcow2; do echo "size $f $(stat -c %s "$work/out/$f")"; done
	echo "disk_virtual_size $DISK_SIZE"
	echo "build_seconds $((SECONDS - start))"
} >"$work/out/manifest"
chmod 644 "$work/out"/*
chmod 755 "$work/out"

# Another build of the same key may have won the race; either result is the same.
mv -T "$work/out" "$out" 2>/dev/null || [[ -f $out/manifest ]]
log "built $out in $((SECONDS - start))s"
echo "$out"
