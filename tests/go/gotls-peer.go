// SPDX-License-Identifier: GPL-2.0-only
// gotls-peer: the Go HTTPS server and client ec-capture gotls is tested on
// (standard library only; HTTP/1.1 over crypto/tls, no HTTP/2).
//
//	gotls-peer server ADDR CERT KEY   serve "hello from go server, path P"
//	gotls-peer client URL N           N concurrent GETs of URL/reqI, print bodies
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: gotls-peer server ADDR CERT KEY | client URL N")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "server":
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello from go server, path %s\n", r.URL.Path)
		})
		srv := &http.Server{Addr: os.Args[2],
			TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
		fmt.Fprintln(os.Stderr, srv.ListenAndServeTLS(os.Args[3], os.Args[4]))
		os.Exit(1)
	case "client":
		n, err := strconv.Atoi(os.Args[3])
		if err != nil || n < 1 || n > 1000 {
			fmt.Fprintln(os.Stderr, "client: N must be 1..1000")
			os.Exit(2)
		}
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			MaxIdleConnsPerHost: n}
		c := &http.Client{Transport: tr}
		var wg sync.WaitGroup
		failed := false
		var mu sync.Mutex
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				resp, err := c.Get(fmt.Sprintf("%s/req%d", os.Args[2], i))
				if err == nil {
					var b []byte
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					mu.Lock()
					fmt.Print(string(b))
					mu.Unlock()
				}
				if err != nil {
					mu.Lock()
					fmt.Fprintln(os.Stderr, "request", i, err)
					failed = true
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		if failed {
			os.Exit(1)
		}
	default:
		os.Exit(2)
	}
}
