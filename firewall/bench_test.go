package firewall_test

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/firewall"
)

// benchRules is the size of the generated exports.
const benchRules = 10000

// benchExport returns an export of benchRules rules like those of a real
// edge firewall, in iptables-save or nft syntax.
func benchExport(f firewall.Format) []byte {
	var b strings.Builder
	if f == firewall.IPTablesSave {
		b.WriteString("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n")
		for i := range benchRules {
			fmt.Fprintf(&b, "-A FORWARD -s 10.%d.%d.0/24 -d 203.0.113.%d/32 -i eth0 -p tcp -m multiport --dports 80,443,%d -m conntrack --ctstate NEW -m comment --comment \"rule %d of the bench\" -j ACCEPT\n",
				i/256%256, i%256, i%32, 1024+i%60000, i)
		}
		b.WriteString("COMMIT\n")
		return []byte(b.String())
	}
	b.WriteString("table inet filter {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n")
	for i := range benchRules {
		fmt.Fprintf(&b, "\t\tiifname \"eth0\" ip saddr 10.%d.%d.0/24 ip daddr 203.0.113.%d tcp dport { 80, 443, %d } ct state new counter packets 0 bytes 0 accept comment \"rule %d of the bench\"\n",
			i/256%256, i%256, i%32, 1024+i%60000, i)
	}
	b.WriteString("\t}\n}\n")
	return []byte(b.String())
}

// BenchmarkParse reads a 10,000-rule export with the parser, and, as the
// raw baseline of the same work, splits its lines into fields with
// bufio.Scanner and strings.Fields. rules/s is the figure to compare.
func BenchmarkParse(b *testing.B) {
	for _, f := range []firewall.Format{firewall.IPTablesSave, firewall.Nft} {
		data := benchExport(f)
		b.Run(string(f)+"/parse", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				rules, err := firewall.Parse("bench", bytes.NewReader(data))
				if err != nil || len(rules) != benchRules {
					b.Fatalf("%d rules, %v", len(rules), err)
				}
			}
			b.ReportMetric(float64(benchRules*b.N)/b.Elapsed().Seconds(), "rules/s")
		})
		b.Run(string(f)+"/raw", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				sc := bufio.NewScanner(bytes.NewReader(data))
				sc.Buffer(make([]byte, 64<<10), firewall.MaxLineLength)
				n := 0
				for sc.Scan() {
					if len(strings.Fields(sc.Text())) > 0 {
						n++
					}
				}
				if n < benchRules {
					b.Fatalf("%d lines", n)
				}
			}
			b.ReportMetric(float64(benchRules*b.N)/b.Elapsed().Seconds(), "rules/s")
		})
	}
}
