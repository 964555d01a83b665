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


#include "mtasts.h"

/*
 * RFC 5234 core rules and the extension-name rule that RFC 8461 uses
 * for both the TXT record (3.1) and the policy (3.2), in ASCII only:
 * no locale may widen them.
 */

int
abnf_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

int
abnf_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

int
abnf_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    abnf_digit(c);
}

/* sts-ext-name and sts-policy-ext-name after the first character. */
int
abnf_ext_name(unsigned char c)
{
	return abnf_alnum(c) || c == '_' || c == '-' || c == '.';
}
