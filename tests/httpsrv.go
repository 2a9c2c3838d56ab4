// httpsrv.go — the http-diff area's Go server (tests/areas/36-http-diff.sh):
// net/http, connections kept alive.
//
//	httpsrv ADDR:PORT LOG
//
// Every request net/http parsed and handed to the handler, any method, is
// logged to LOG, one line:
//
//	200 TAB HOST TAB ROUTE TAB METHOD TAB TARGET
//
// HOST: r.Host (the Host header, or the host of an absolute-form target,
// which net/http puts there instead), ROUTE: the absolute-form target's
// host ("-" when the target has none), bytes outside printable ASCII,
// '"' and '\' written \xHH, as nginx logs; then its body is read to its
// end and thrown away, and it is answered 200 "ok".  Built by the area (go
// build), as tests/goresolve.go is.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
)

func esc(s string) string {
	if s == "" {
		return "-"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			fmt.Fprintf(&b, "\\x%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: httpsrv ADDR:PORT LOG")
		os.Exit(2)
	}
	log, err := os.OpenFile(os.Args[2], os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fmt.Fprintf(log, "200\t%s\t%s\t%s\t%s\n", esc(r.Host), esc(r.URL.Host),
			esc(r.Method), esc(r.RequestURI))
		mu.Unlock()
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
	})
	l, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, http.Serve(l, handler))
	os.Exit(1)
}
