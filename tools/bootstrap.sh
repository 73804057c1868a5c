#!/usr/bin/env bash
# tools/bootstrap.sh - install what silversync needs from Debian, then configure and build it.
#
# usage: tools/bootstrap.sh [--asan] [--fuzz] [--release] [--all] [--no-install]
#                           [--test-deps] [--package-deps] [--install-only] [--jobs N] [--help]
#
#   (no build option)  build/       RelWithDebInfo; programs in build/bin, tests in build/tests
#   --release          build/ as well (use it together with --asan or --fuzz)
#   --asan             build-asan/  RelWithDebInfo, -DSILVER_SANITIZE=ON (ASan + UBSan)
#   --fuzz             build-fuzz/  CC=clang, -DSILVER_FUZZ=ON -DSILVER_SANITIZE=ON (libFuzzer)
#   --all              all three
#   --no-install       skip the Debian package step
#   --test-deps        also install what only the tests need (chromium)
#   --package-deps     also install what the Debian package build needs (debhelper, systemd)
#   --install-only     install the packages, build nothing
#   --jobs N           parallel build jobs (default: number of CPUs)
#
# Environment:
#   SILVER_BUILD_PREFIX  where the build trees go: PREFIX, PREFIX-asan, PREFIX-fuzz
#                        (default: <repo>/build)
#   SILVER_WERROR=1      configure with -DSILVER_WERROR=ON
#   SILVER_CMAKE_ARGS    extra arguments for every cmake configure (split on spaces)
#
# The package step asks dpkg-query first and touches the network only when a
# package is missing, so a second run is fast and works offline.  It runs
# apt-get as root, through sudo otherwise.  Any failure stops the script with
# a message and a non-zero exit status.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROG=${0##*/}

say()
{
	printf '==> %s\n' "$*"
}

die()
{
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}

usage()
{
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

# The Debian (bookworm) packages the project builds and tests with.  The
# libFuzzer runtime package is versioned like clang; it is added below.
PACKAGES=(
	build-essential cmake pkg-config
	liblmdb-dev lmdb-utils
	libzmq3-dev libmsgpack-dev libsodium-dev
	libcmocka-dev libjansson-dev libcsv-dev libutf8proc-dev
	libmicrohttpd-dev
	libzip-dev libexpat1-dev libxlsxwriter-dev
	gettext
	scdoc
	bash-completion
	clang
	python3
	locales
)
# Only the tests need these (--test-deps): Chromium renders the HTML report and
# prints it to an A4 PDF with a CJK font (poppler-utils reads the PDF back);
# chromium-driver and python3-selenium drive it through the web workbench;
# strace injects kills and a full disk into init (test_hardening.sh).
TEST_PACKAGES=(chromium fonts-wqy-zenhei poppler-utils chromium-driver python3-selenium strace)
# Only the package build and its smoke test (--package-deps, tests/package.sh):
# debhelper and dpkg-dev build it, systemd brings systemd-analyze.
PACKAGE_PACKAGES=(debhelper dpkg-dev systemd)

want_release=0
want_asan=0
want_fuzz=0
do_install=1
do_build=1
jobs=$(nproc 2>/dev/null || echo 2)

while [[ $# -gt 0 ]]; do
	case $1 in
	--asan) want_asan=1 ;;
	--fuzz) want_fuzz=1 ;;
	--release) want_release=1 ;;
	--all) want_release=1 want_asan=1 want_fuzz=1 ;;
	--no-install) do_install=0 ;;
	--test-deps) PACKAGES+=("${TEST_PACKAGES[@]}") ;;
	--package-deps) PACKAGES+=("${PACKAGE_PACKAGES[@]}") ;;
	--install-only) do_build=0 ;;
	--jobs|-j)
		[[ $# -ge 2 ]] || die "$1 needs a number"
		jobs=$2
		shift
		;;
	--jobs=*) jobs=${1#--jobs=} ;;
	-h|--help)
		usage
		exit 0
		;;
	*)
		die "unknown option: $1 (try --help)"
		;;
	esac
	shift
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive number, not '$jobs'"
if [[ $want_asan -eq 0 && $want_fuzz -eq 0 ]]; then
	want_release=1
fi

# ---------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------

is_installed()
{
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

as_root()
{
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "not root and sudo is missing: run as root: $*"
	fi
}

apt_updated=0
apt_update()
{
	if [[ $apt_updated -eq 0 ]]; then
		say "apt-get update"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update ||
			die "apt-get update failed"
		apt_updated=1
	fi
}

# libclang-rt-N-dev holds libFuzzer for clang-N.  N is taken from the
# installed clang, else from the clang package's dependency, else 14 (bookworm).
clang_rt_package()
{
	local major=""
	if command -v clang >/dev/null 2>&1; then
		major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
	fi
	if [[ -z $major ]]; then
		major=$(apt-cache depends clang 2>/dev/null | sed -n 's/.*Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n1)
	fi
	echo "libclang-rt-${major:-14}-dev"
}

install_missing()
{
	local missing=() p
	for p in "$@"; do
		is_installed "$p" || missing+=("$p")
	done
	if [[ ${#missing[@]} -eq 0 ]]; then
		return 0
	fi
	say "missing Debian packages: ${missing[*]}"
	apt_update
	say "apt-get install ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
		die "apt-get install failed for: ${missing[*]}"
	for p in "${missing[@]}"; do
		is_installed "$p" || die "package $p is still not installed"
	done
}

if [[ $do_install -eq 1 ]]; then
	command -v dpkg-query >/dev/null 2>&1 ||
		die "dpkg-query not found: this script installs Debian packages; use --no-install elsewhere"
	say "checking Debian packages"
	install_missing "${PACKAGES[@]}"
	install_missing "$(clang_rt_package)"
	say "all Debian packages present"
else
	say "skipping the package step (--no-install)"
fi

if [[ $do_build -eq 0 ]]; then
	exit 0
fi

# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------

for tool in cmake pkg-config cc msgfmt; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run without --no-install to install it)"
done

prefix=${SILVER_BUILD_PREFIX:-$ROOT/build}
common_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ ${SILVER_WERROR:-0} == 1 ]]; then
	common_args+=(-DSILVER_WERROR=ON)
fi
if [[ -n ${SILVER_CMAKE_ARGS:-} ]]; then
	read -r -a extra <<<"$SILVER_CMAKE_ARGS"
	common_args+=("${extra[@]}")
fi

# cached_compiler DIR: the C compiler a configured build tree uses, or "".
cached_compiler()
{
	sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$1/CMakeCache.txt" 2>/dev/null || true
}

# build NAME DIR [cmake args...]
build()
{
	local name=$1 dir=$2
	shift 2
	say "configure $name: cmake -S $ROOT -B $dir ${common_args[*]} $*"
	cmake -S "$ROOT" -B "$dir" "${common_args[@]}" "$@" ||
		die "cmake configure failed for the $name build ($dir)"
	say "build $name: cmake --build $dir -j $jobs"
	cmake --build "$dir" -j "$jobs" ||
		die "the $name build failed ($dir)"
	say "$name build ready: programs in $dir/bin, tests in $dir/tests"
}

if [[ $want_release -eq 1 ]]; then
	build release "$prefix" -DSILVER_SANITIZE=OFF -DSILVER_FUZZ=OFF
fi
if [[ $want_asan -eq 1 ]]; then
	build asan "$prefix-asan" -DSILVER_SANITIZE=ON -DSILVER_FUZZ=OFF
fi
if [[ $want_fuzz -eq 1 ]]; then
	command -v clang >/dev/null 2>&1 || die "clang not found: the fuzz build needs it"
	fuzzdir=$prefix-fuzz
	cc=$(cached_compiler "$fuzzdir")
	if [[ -n $cc && ${cc##*/} != clang* ]]; then
		# CMake fixes the compiler at the first configure; start over.
		say "$fuzzdir was configured with $cc, not clang: removing its CMake cache"
		rm -rf "$fuzzdir/CMakeCache.txt" "$fuzzdir/CMakeFiles"
	fi
	CC=clang build fuzz "$fuzzdir" -DCMAKE_C_COMPILER=clang -DSILVER_FUZZ=ON -DSILVER_SANITIZE=ON
fi
say "done"
