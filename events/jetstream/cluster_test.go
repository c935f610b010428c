package jetstream_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/examples"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	jsapi "github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// clusterConf is the configuration of node i (1 to 3) the repository ships.
func clusterConf(i int) string { return fmt.Sprintf("../../deploy/cluster/node-%d.conf", i) }

// account is the JetStream account of deploy/nats-server.conf.
const account = "DCMOVE"

// nodeSetup is what a test changes in a node's configuration from
// deploy/cluster: addresses, store, and the users' keys.
type nodeSetup struct {
	Conf        string   `json:"conf"`
	Port        int      `json:"port"`
	HTTPPort    int      `json:"http_port"`
	ClusterPort int      `json:"cluster_port"`
	Routes      []int    `json:"routes"`
	Store       string   `json:"store"`
	Keys        []string `json:"keys"`
	// NoSync leaves the file store's default (sync every 2 minutes) in
	// place of the configuration's sync_interval: always, to measure what
	// syncing costs.
	NoSync bool `json:"no_sync,omitempty"`
}

// options reads the node's configuration file and applies the setup.
func (ns nodeSetup) options() (*server.Options, error) {
	o, err := server.ProcessConfigFile(ns.Conf)
	if err != nil {
		return nil, err
	}
	o.Host, o.Port, o.StoreDir = "127.0.0.1", ns.Port, ns.Store
	o.HTTPHost, o.HTTPPort = "127.0.0.1", ns.HTTPPort
	o.Cluster.Host, o.Cluster.Port = "127.0.0.1", ns.ClusterPort
	o.Routes = nil
	for _, p := range ns.Routes {
		o.Routes = append(o.Routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	if len(ns.Keys) != len(o.Nkeys) {
		return nil, fmt.Errorf("%s: %d users, %d keys", ns.Conf, len(o.Nkeys), len(ns.Keys))
	}
	for k, u := range o.Nkeys {
		u.Nkey = ns.Keys[k]
	}
	o.NoLog, o.NoSigs = true, true
	if ns.NoSync {
		o.SyncAlways = false
	}
	return o, nil
}

// nodeEnv, in the environment of the test binary, makes it run one node of
// a test cluster (TestClusterNode) until it is killed.
const nodeEnv = "DCMOVE_CLUSTER_NODE"

// TestClusterNode is not a test: it is the process of one cluster node
// when nodeEnv is set (see TestClusterLosesANode).
func TestClusterNode(t *testing.T) {
	setup := os.Getenv(nodeEnv)
	if setup == "" {
		t.Skip("a cluster node's process, started by TestClusterLosesANode")
	}
	var ns nodeSetup
	if err := json.Unmarshal([]byte(setup), &ns); err != nil {
		t.Fatal(err)
	}
	o, err := ns.options()
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	s.WaitForShutdown()
}

// node is one nats-server of a test cluster, in a process of its own so
// that it can be killed (SIGKILL: no goodbye, no leadership handed over).
type node struct {
	name  string
	setup nodeSetup
	cmd   *exec.Cmd
}

func (n *node) start(t testing.TB) {
	t.Helper()
	b, _ := json.Marshal(n.setup)
	n.cmd = exec.Command(os.Args[0], "-test.run=^TestClusterNode$")
	n.cmd.Env = append(os.Environ(), nodeEnv+"="+string(b))
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.setup.Port))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen after 20 s", n.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill stops the node's process at once.
func (n *node) kill() {
	if n.cmd != nil {
		n.cmd.Process.Kill()
		n.cmd.Wait()
		n.cmd = nil
	}
}

func loopbackPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startCluster starts the three nodes of deploy/cluster, each in a process
// of its own, on free loopback ports and temp stores, with the same new
// keys for the users of deploy/nats-server.conf on every node (the admin
// first).
func startCluster(t testing.TB) ([]*node, []person) {
	return startClusterSynced(t, true)
}

// startClusterSynced is startCluster, with sync_interval: always if sync.
func startClusterSynced(t testing.TB, sync bool) ([]*node, []person) {
	t.Helper()
	nodes := make([]*node, 3)
	var people []person
	for i := range nodes {
		conf := clusterConf(i + 1)
		o, err := server.ProcessConfigFile(conf)
		if err != nil {
			t.Fatalf("%s: %v", conf, err)
		}
		if !o.JetStream || !o.SyncAlways || o.Cluster.Name == "" || len(o.Routes) != 2 {
			t.Fatalf("%s: JetStream %v, sync always %v, cluster %q with %d routes; want JetStream synced on a cluster with routes to the two other nodes",
				conf, o.JetStream, o.SyncAlways, o.Cluster.Name, len(o.Routes))
		}
		if people == nil {
			for range o.Nkeys {
				kp, err := nkeys.CreateUser()
				if err != nil {
					t.Fatal(err)
				}
				pub, _ := kp.PublicKey()
				people = append(people, person{kp, pub})
			}
		}
		ns := nodeSetup{Conf: conf, Port: loopbackPort(t), HTTPPort: loopbackPort(t), ClusterPort: loopbackPort(t), Store: t.TempDir(), NoSync: !sync}
		for _, p := range people {
			ns.Keys = append(ns.Keys, p.pub)
		}
		nodes[i] = &node{name: o.ServerName, setup: ns}
	}
	for i, n := range nodes {
		for j, m := range nodes {
			if j != i {
				n.setup.Routes = append(n.setup.Routes, m.setup.ClusterPort)
			}
		}
	}
	for _, n := range nodes {
		n.start(t)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.kill()
		}
	})
	return nodes, people
}

// clientURL lists the nodes' client addresses, as a crew would give them
// to --server.
func clientURL(nodes []*node) string {
	var urls []string
	for _, n := range nodes {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", n.setup.Port))
	}
	return strings.Join(urls, ",")
}

// streamDetail is the event stream as node n holds it, from its monitoring
// endpoint.
func streamDetail(n *node) (server.StreamDetail, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/jsz?acc=%s&streams=true", n.setup.HTTPPort, account))
	if err != nil {
		return server.StreamDetail{}, err
	}
	defer resp.Body.Close()
	var info server.JSInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&info); err != nil {
		return server.StreamDetail{}, err
	}
	for _, acc := range info.AccountDetails {
		for _, st := range acc.Streams {
			if st.Name == jetstream.StreamName {
				return st, nil
			}
		}
	}
	return server.StreamDetail{}, fmt.Errorf("%s holds no copy of %s", n.name, jetstream.StreamName)
}

// leader returns the node that leads the event stream, as node n sees it.
func leader(nodes []*node, n *node) *node {
	st, err := streamDetail(n)
	if err != nil || st.Cluster == nil {
		return nil
	}
	for _, m := range nodes {
		if m.name == st.Cluster.Leader {
			return m
		}
	}
	return nil
}

// TestClusterLosesANode runs the reference plan's whole cutover with a
// simulated crew on a three-node cluster started from deploy/cluster,
// through the dcmove log a crew's --server uses. A third of the way in, the
// node that leads the event stream is shut down; two thirds in, it starts
// again. The crew's commands must all go through (retrying through the
// leader election), and afterwards every node must hold every event once
// (each node in turn leads the stream and is read whole), and the chain
// must verify.
func TestClusterLosesANode(t *testing.T) {
	ctx := t.Context()
	nodes, people := startCluster(t)
	admin := people[0]

	var l *jetstream.Log
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		l, err = jetstream.Open(ctx, jetstream.Options{ServerURL: clientURL(nodes), NATSOptions: []nats.Option{admin.option()}})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster is not ready after 30 s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	defer l.Close()
	store, err := l.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if _, err := streamDetail(n); err != nil {
			t.Fatal(err)
		}
	}

	b, err := examples.FS.ReadFile("pa2-pa3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Parse("pa2-pa3.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	// The same cutover (same seed) on a lone embedded server says how
	// many events it records.
	dry := openLog(t)
	dryRes, err := (&runbooks.Demo{Log: dry, Seed: 7}).Run(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	total, err := dry.LastSeq(ctx, dryRes.Run)
	if err != nil {
		t.Fatal(err)
	}

	var down *node
	var run string
	var stopped, restarted uint64
	var killedAt time.Time
	var waited time.Duration
	demo := &runbooks.Demo{Log: l, Checkpoints: store, Seed: 7, Report: func(r runbooks.DemoReport) {
		if s, ok := r.(runbooks.DemoStarted); ok {
			run = s.Run
		}
		if run == "" || restarted != 0 {
			return
		}
		seq, err := l.LastSeq(ctx, run)
		if err != nil {
			t.Errorf("last sequence of %s: %v", run, err)
			return
		}
		if stopped != 0 && seq > stopped && waited == 0 {
			waited = time.Since(killedAt) // the first command after the kill
		}
		switch {
		case stopped == 0 && seq >= total/3:
			if down = leader(nodes, nodes[0]); down == nil {
				t.Error("no node leads the event stream")
				down = nodes[0]
			}
			stopped = seq
			down.kill()
			killedAt = time.Now()
		case stopped != 0 && restarted == 0 && seq >= 2*total/3:
			restarted = seq
			down.start(t)
		}
	}}
	res, err := demo.Run(ctx, p)
	if err != nil {
		t.Fatalf("the cutover stopped: %v", err)
	}
	if down == nil || down.cmd == nil {
		t.Fatalf("the node was not both shut down and restarted during the cutover (%d events)", total)
	}
	if res.Run != run {
		t.Fatalf("the demo started run %q and ended run %q", run, res.Run)
	}
	t.Logf("%s, the event stream's leader, killed after event %d of %d, started again after event %d; the first command after the kill went through in %v",
		down.name, stopped, total, restarted, waited.Round(10*time.Millisecond))

	// Every node catches up with the same stream.
	var want server.StreamState
	deadline = time.Now().Add(30 * time.Second)
	for {
		states := make([]server.StreamState, len(nodes))
		same := true
		for i, n := range nodes {
			st, err := streamDetail(n)
			states[i] = st.State
			if err != nil || states[i].Msgs != states[0].Msgs || states[i].LastSeq != states[0].LastSeq {
				same = false
			}
		}
		if same && states[0].Msgs > 0 {
			want = states[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the nodes still differ 30 s after the cutover: %+v", states)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Each node in turn leads the stream, and the run read from it holds
	// every event once, chained.
	nc := l.Conn()
	var first []string
	for _, n := range nodes {
		leadFrom(t, nc, nodes, n)
		ids := map[string]int{}
		var order []string
		for r, err := range l.Read(ctx, run, 0) {
			if err != nil {
				t.Fatalf("read %s from %s: %v", run, n.name, err)
			}
			ids[r.ID]++
			order = append(order, r.ID)
		}
		for id, k := range ids {
			if k != 1 {
				t.Errorf("%s: event %s stored %d times", n.name, id, k)
			}
		}
		if first == nil {
			first = order
		} else if strings.Join(order, ",") != strings.Join(first, ",") {
			t.Errorf("%s holds %d events of the run, not the same as the first node's %d", n.name, len(order), len(first))
		}
		rep, err := events.Verify(ctx, l, run)
		if err != nil || !rep.OK() {
			t.Errorf("audit verify with %s leading: %v %+v", n.name, err, rep)
		}
	}
	if uint64(len(first)) != total {
		t.Errorf("the run holds %d events on the cluster, %d on a lone server", len(first), total)
	}
	t.Logf("%d events of run %s (stream: %d messages, last sequence %d) on each of the 3 nodes, each once",
		len(first), run, want.Msgs, want.LastSeq)
}

// leadFrom makes node n the event stream's leader.
func leadFrom(t *testing.T, nc *nats.Conn, nodes []*node, n *node) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for leader(nodes, n) != n {
		req, _ := json.Marshal(map[string]any{"placement": map[string]string{"preferred": n.name}})
		nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+jetstream.StreamName, req, 2*time.Second)
		if time.Now().After(deadline) {
			t.Fatalf("%s does not become the event stream's leader", n.name)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// openCluster opens a dcmove log on a new three-node cluster as its admin.
func openCluster(tb testing.TB, sync bool) *jetstream.Log {
	tb.Helper()
	nodes, people := startClusterSynced(tb, sync)
	deadline := time.Now().Add(30 * time.Second)
	for {
		l, err := jetstream.Open(tb.Context(), jetstream.Options{ServerURL: clientURL(nodes), NATSOptions: []nats.Option{people[0].option()}})
		if err == nil {
			tb.Cleanup(func() { l.Close() })
			return l
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the cluster is not ready after 30 s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// openServer opens a dcmove log on a lone nats-server over TCP, as
// --server does: the same file store settings as the embedded one.
func openServer(tb testing.TB) *jetstream.Log {
	tb.Helper()
	s, err := jetstream.StartServer(tb.TempDir(), "127.0.0.1", -1, "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	l, err := jetstream.Open(tb.Context(), jetstream.Options{ServerURL: s.ClientURL()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// BenchmarkAppendDurability measures one event appended at a time, as a
// crew's commands do, in each way dcmove can keep its log: the embedded
// server (one copy, synced to disk before the acknowledgement), a lone
// nats-server reached over TCP (the same), and the three-node cluster of
// deploy/cluster (three copies, acknowledged once two nodes have it),
// synced on every write as configured and with the file store's default
// sync instead. Each next to a raw nats.go publish of the same bytes to
// the same stream in the same run.
func BenchmarkAppendDurability(b *testing.B) {
	ctx := b.Context()
	modes := []struct {
		name string
		open func(testing.TB) *jetstream.Log
	}{
		{"embedded-R1-sync", func(tb testing.TB) *jetstream.Log { return openLog(tb) }},
		{"server-R1-sync", openServer},
		{"cluster-R3-sync", func(tb testing.TB) *jetstream.Log { return openCluster(tb, true) }},
		{"cluster-R3-nosync", func(tb testing.TB) *jetstream.Log { return openCluster(tb, false) }},
	}
	for _, m := range modes {
		b.Run(m.name+"/dcmove", func(b *testing.B) {
			l := m.open(b)
			var seq uint64
			for i := 0; b.Loop(); i++ {
				var err error
				if seq, err = l.Append(ctx, "r", seq, benchEnvelope(b, "r", i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run(m.name+"/raw-nats", func(b *testing.B) {
			l := m.open(b)
			js, _ := jsapi.New(l.Conn())
			data := mustJSON(b, benchEnvelope(b, "r", 0))
			for i := 0; b.Loop(); i++ {
				msg := nats.NewMsg("dcmove.r.step.x")
				msg.Data = data
				msg.Header.Set(jsapi.MsgIDHeader, fmt.Sprint(i))
				if _, err := js.PublishMsg(ctx, msg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
