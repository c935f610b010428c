// Package dnstest starts DNS resolvers on loopback for tests: each one a
// vantage point's view of a moved name.
package dnstest

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// Resolver starts a DNS server on 127.0.0.1 that answers A questions for
// name with addr (TTL ttl seconds) and NXDOMAIN for anything else, until
// the test ends; it returns its address.
func Resolver(t testing.TB, name, addr string, ttl uint32) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if strings.EqualFold(q.Question[0].Name, dns.Fqdn(name)) && q.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(dns.Fqdn(name) + " " + strconv.Itoa(int(ttl)) + " IN A " + addr)
			m.Answer = append(m.Answer, rr)
		} else {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}
