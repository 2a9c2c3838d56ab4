#!/bin/sh
# httpcgi.sh — the CGI program behind busybox httpd in the http-diff area
# (tests/areas/36-http-diff.sh), as $T/www/cgi-bin/log.  busybox httpd
# serves one request per connection and hands the CGI what it parsed; this
# logs it to $HTTPDIFF_LOG (busybox httpd passes its environment on), one
# line, as the area's other servers do:
#
#	200 TAB HOST TAB - TAB METHOD TAB TARGET
#
# (HTTP_HOST, "-" when there is none; bytes outside printable ASCII, '"'
# and '\' written \xHH, as nginx logs), and answers "ok".  Its body, if
# any, is not read.
LC_ALL=C busybox awk 'BEGIN {
	for (i = 1; i < 256; i++)
		code[sprintf("%c", i)] = i
	printf "200\t%s\t-\t%s\t%s\n", esc("HTTP_HOST"), esc("REQUEST_METHOD"),
		esc("REQUEST_URI") >>ENVIRON["HTTPDIFF_LOG"]
}
function esc(name,    v, out, i, c) {
	if (!(name in ENVIRON))
		return "-"
	v = ENVIRON[name]
	for (i = 1; i <= length(v); i++) {
		c = substr(v, i, 1)
		out = out (code[c] < 32 || code[c] > 126 || c == "\"" || c == "\\" ?
			sprintf("\\x%02X", code[c]) : c)
	}
	return out
}'
printf 'Content-Type: text/plain\r\n\r\nok\n'
