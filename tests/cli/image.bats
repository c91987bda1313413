#!/usr/bin/env bats
# image.*: the same output in every mode, band count and transport; PNG/PPM
# input and --save; bad input named with its file and refused with exit 2.
load helpers

# A w x h binary PPM of one colour: ppm W H R G B > file
ppm() {
	printf 'P6\n%d %d\n255\n' "$1" "$2"
	for ((i = 0; i < $1 * $2; i++)); do printf "\\x$(printf %02x "$3")\\x$(printf %02x "$4")\\x$(printf %02x "$5")"; done
}

# Column number of a CSV header field.
col() {
	head -1 <<<"$1" | tr , '\n' | grep -n "^$2\$" | cut -d: -f1
}

@test "every image filter verifies in seq, threads and procs with both transports" {
	for t in shm pipe; do
		run "$CB" -w 'image.*' -m seq,threads,procs -j 2 -s 40 --tasks=5 --runs=1 --warmup=0 \
			--transport=$t --format=csv --no-csv
		[ "$status" -eq 0 ]
		c=$(col "$output" checksum)
		v=$(col "$output" verified)
		for w in image.chain image.blur image.sobel image.sharpen image.gray; do
			grep -q "\"$w\"" <<<"$output"
			[ "$(grep "\"$w\"" <<<"$output" | cut -d, -f"$c" | sort -u | wc -l)" -eq 1 ]
		done
		[ "$(tail -n +2 <<<"$output" | cut -d, -f"$v" | sort -u)" = 1 ]
	done
	[ -z "$(leftover_children)" ]
}

@test "the family name runs the default chain" {
	run "$CB" -w image -m seq -s 32 --runs=1 --warmup=0 --no-csv
	[ "$status" -eq 0 ]
	grep -q 'image.chain' <<<"$output"
	[[ "$output" != *image.blur* ]]
}

@test "--save writes the same PNG whatever the band count, mode and transport" {
	mkdir a b c
	"$CB" -w image.blur -m seq -s 45 --radius=3 --tasks=1 --runs=1 --warmup=0 --no-csv -q --save=a
	"$CB" -w image.blur -m threads -j 2 -s 45 --radius=3 --tasks=13 --runs=1 --warmup=0 --no-csv -q --save=b
	"$CB" -w image.blur -m procs -j 2 -s 45 --radius=3 --tasks=64 --runs=1 --warmup=0 --no-csv -q \
		--transport=pipe --save=c
	[ "$(head -c 8 a/image.blur-default.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	cmp a/image.blur-default.png b/image.blur-default.png
	cmp a/image.blur-default.png c/image.blur-default.png
	# a different radius is a different image
	"$CB" -w image.blur -m seq -s 45 --radius=4 --runs=1 --warmup=0 --no-csv -q --save=b
	run ! cmp -s a/image.blur-default.png b/image.blur-default.png
}

@test "a PPM file and a directory of images are read; saved PNGs read back" {
	mkdir in out back
	ppm 7 5 10 200 30 >in/one.ppm
	ppm 3 9 255 255 255 >in/two.ppm
	run "$CB" -w image.gray -m seq,procs -j 2 --input=in/one.ppm --runs=1 --warmup=0 --no-csv --save=out
	[ "$status" -eq 0 ]
	[ -s out/image.gray-one.png ]
	run "$CB" -w image.sharpen -m seq,threads -j 2 --input=in --tasks=2 --runs=1 --warmup=0 --no-csv --save=out
	[ "$status" -eq 0 ]
	[ -s out/image.sharpen-one.png ]
	[ -s out/image.sharpen-two.png ]
	# a constant image stays constant under sharpen: the saved PNG is that
	# image again, so filtering it gives the same file
	run "$CB" -w image.sharpen -m seq --input=out/image.sharpen-two.png --runs=1 --warmup=0 --no-csv --save=back
	[ "$status" -eq 0 ]
	cmp out/image.sharpen-two.png back/image.sharpen-image.sharpen-two.png
}

@test "bad input names the file and exits 2" {
	echo "just text" >text.png
	printf 'P6\n4 4\n255\n\x01\x02\x03' >short.ppm
	printf 'P6\n100000 100000\n255\n' >huge.ppm
	printf 'P5\n0 3\n255\n' >zero.pgm
	: >empty.ppm
	printf '\x89PNG\r\n\x1a\n\x00\x00' >cut.png
	for f in text.png:'not an image' short.ppm:'truncated PPM' huge.ppm:'exceeds the limit of 16384' \
		zero.pgm:'zero size' empty.ppm:'empty file' cut.png:'PNG' missing.png:'No such file'; do
		run "$CB" -w image.gray -m seq --input="${f%%:*}" --runs=1 --warmup=0 --no-csv
		[ "$status" -eq 2 ]
		grep -q "^concbench: image.gray: ${f%%:*}: .*${f#*:}" <<<"$output"
	done
}

@test "bad options exit 2" {
	run "$CB" -w image.blur -m seq --radius=0 --runs=1 --no-csv
	[ "$status" -eq 2 ]
	grep -q -- '--radius' <<<"$output"
	run "$CB" -w image.blur -m seq -s 32 --save=nowhere --runs=1 --no-csv
	[ "$status" -eq 2 ]
	grep -q -- '--save: nowhere' <<<"$output"
	mkdir emptydir
	run "$CB" -w image.blur -m seq --input=emptydir --runs=1 --no-csv
	[ "$status" -eq 2 ]
	grep -q 'emptydir: no image files' <<<"$output"
}

@test "pipe transport: a dying or hanging worker is reported; nothing hangs or stays behind" {
	run timeout 60 "$CB" -w image.blur -s 128 -m procs -j 2 --transport=pipe --inject=kill@2 \
		--runs=1 --warmup=0 --no-csv
	[ "$status" -eq 1 ]
	grep -q 'worker [01] died (signal 9) during task 2' <<<"$output"
	run timeout 60 "$CB" -w image.blur -s 128 -m procs -j 2 --transport=pipe --inject=hang@2 \
		--runs=1 --warmup=0 --no-csv --timeout=1s
	[ "$status" -eq 1 ]
	grep -q 'timed out' <<<"$output"
	[ -z "$(leftover_children)" ]
}
