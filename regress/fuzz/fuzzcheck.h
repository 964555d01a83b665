/*
 * Copyright (c) 2026 The filter-mtasts authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */


/* What the parser fuzz targets check of every error and warning. */
void	fuzz_err_init(struct sts_error *);
void	fuzz_check_msg(const struct sts_error *, size_t);

/*
 * The TXT record targets: one input is a whole RRset, the RRs
 * separated by '\n', a byte no valid record holds, so NULs and every
 * other byte still reach the parser.  fuzz_rrset() gives each RR to
 * one, then the set to set.
 */
#define FUZZ_RR_MAX	16
void	fuzz_rrset(const uint8_t *, size_t,
	    void (*)(const struct sts_txt *),
	    void (*)(const struct sts_txt *, size_t));
void	fuzz_check_ascii(const char *, size_t);
