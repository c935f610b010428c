package schedule

import "slices"

// plan is one schedule in the decoder's working form.
type plan struct {
	start, finish []int
	assign        []int32 // per OneOf set (global set index): the member chosen
	list          []int32 // the activity list that a forward decode used
	makespan      int
}

func newPlan(c *compiled) *plan {
	return &plan{
		start:  make([]int, c.n),
		finish: make([]int, c.n),
		assign: make([]int32, len(c.memOff)-1),
		list:   make([]int32, 0, c.n),
	}
}

func (p *plan) copyFrom(q *plan) {
	copy(p.start, q.start)
	copy(p.finish, q.finish)
	copy(p.assign, q.assign)
	p.list = append(p.list[:0], q.list...)
	p.makespan = q.makespan
}

type need struct {
	r int32
	a int64
}

// unit is one query of place: the tracked needs of one profile together,
// or one untracked need alone.
type unit struct {
	g    int32
	q    []req
	scan bool
}

// decoder runs the serial schedule generation scheme. It keeps the usage
// profiles (one per resource group) and scratch space, reused across
// decodes.
type decoder struct {
	c    *compiled
	prof []profile
	ivs  [][]Interval

	needs []need
	greqs []greq
	reqs  []req
	units []unit
	amts  []gamount
	// OneOf matching scratch, indexed by resource; stamp marks entries valid
	// for the current activity.
	stamp   []uint32
	cur     uint32
	earl    []int   // earliest fit of the member at or after t
	owner   []int32 // set holding the member, or -1
	seen    []uint32
	seenCur uint32
	one     [1]req

	runs int // decodes made
}

type greq struct {
	g int32
	req
}

type gamount struct {
	g int32
	amount
}

func newDecoder(c *compiled) *decoder {
	d := &decoder{
		c:     c,
		prof:  make([]profile, len(c.groups)),
		stamp: make([]uint32, c.nr),
		earl:  make([]int, c.nr),
		owner: make([]int32, c.nr),
		seen:  make([]uint32, c.nr),
	}
	// Additions per profile, at most: activities demanding from it, and
	// OneOf sets naming one of its resources.
	adds := make([]int, len(c.groups))
	for j := range c.n {
		last := int32(-1)
		for k := c.demOff[j]; k < c.demOff[j+1]; k++ {
			if g := c.grp[c.demRes[k]]; g != last {
				adds[g]++
				last = g
			}
		}
	}
	for _, m := range c.mem {
		adds[c.grp[m]]++
	}
	for g, members := range c.groups {
		lims := make([][]int64, len(members))
		for k, r := range members {
			lims[k] = c.lims[r]
			adds[g] += 2 * len(c.avail[r])
		}
		d.prof[g].setup(len(members), lims)
		d.prof[g].reserve(adds[g])
	}
	return d
}

// run decodes the activity list order with durations dur into out.
//
// Forward (back == false): each activity in turn starts at the earliest
// time at or after its release and its predecessors' finishes at which
// every demand fits and every OneOf set has a free member; fixed == nil
// lets it choose members, else it keeps fixed[s].
//
// Backward (back == true): the same on the mirrored problem, time running
// back from m and successors acting as predecessors, with the members of
// fixed kept. Decoding a feasible schedule's activities in order of
// decreasing finish this way right-justifies it: no activity ends up
// earlier than it was (so release times still hold), none ends after m.
func (d *decoder) run(order []int32, dur []int, back bool, m int, fixed []int32, out *plan) error {
	c := d.c
	d.runs++
	for g, members := range c.groups {
		d.ivs = d.ivs[:0]
		for _, r := range members {
			d.ivs = append(d.ivs, c.avail[r])
		}
		d.prof[g].init(d.ivs, back, m)
	}
	if fixed != nil {
		copy(out.assign, fixed)
	}
	st, fin := out.start, out.finish
	for _, j := range order {
		t0 := 0
		adj := c.preds(j)
		if back {
			adj = c.succs(j)
		} else {
			t0 = c.release[j]
		}
		for _, q := range adj {
			t0 = max(t0, fin[q])
		}
		dj := dur[j]
		d.needs = d.needs[:0]
		for k := c.demOff[j]; k < c.demOff[j+1]; k++ {
			d.needs = append(d.needs, need{c.demRes[k], c.demAmt[k]})
		}
		sets := c.setOff[j] < c.setOff[j+1]
		if sets && fixed != nil {
			for s := c.setOff[j]; s < c.setOff[j+1]; s++ {
				d.addNeed(fixed[s], 1)
			}
			sets = false
		}
		t := d.place(j, t0, dj, sets, out.assign)
		if t == never {
			return d.neverFits(j, dj)
		}
		st[j], fin[j] = t, t+dj
		if dj > 0 {
			d.commit(j, t, t+dj, sets, out.assign)
		}
	}
	out.makespan = 0
	for j := range st {
		if back {
			st[j], fin[j] = m-fin[j], m-st[j]
		}
		out.makespan = max(out.makespan, fin[j])
	}
	if !back {
		out.list = append(out.list[:0], order...)
	}
	return nil
}

func (d *decoder) addNeed(r int32, a int64) {
	for k := range d.needs {
		if d.needs[k].r == r {
			d.needs[k].a += a
			return
		}
	}
	d.needs = append(d.needs, need{r, a})
}

// commit adds the usage of activity j over [s, e): its needs and, if sets,
// its OneOf members; one addition per profile.
func (d *decoder) commit(j int32, s, e int, sets bool, assign []int32) {
	c := d.c
	d.amts = d.amts[:0]
	for _, nd := range d.needs {
		d.amts = append(d.amts, gamount{c.grp[nd.r], amount{int(c.gpos[nd.r]), nd.a}})
	}
	if sets {
		for k := c.setOff[j]; k < c.setOff[j+1]; k++ {
			m := assign[k]
			d.amts = append(d.amts, gamount{c.grp[m], amount{int(c.gpos[m]), 1}})
		}
	}
	sortByGroup(d.amts)
	var buf [8]amount
	for lo := 0; lo < len(d.amts); {
		hi := lo + 1
		for hi < len(d.amts) && d.amts[hi].g == d.amts[lo].g {
			hi++
		}
		as := buf[:0]
		for _, a := range d.amts[lo:hi] {
			as = append(as, a.amount)
		}
		d.prof[d.amts[lo].g].add(s, e, as)
		lo = hi
	}
}

func sortByGroup(a []gamount) {
	for i := 1; i < len(a); i++ {
		for k := i; k > 0 && a[k].g < a[k-1].g; k-- {
			a[k], a[k-1] = a[k-1], a[k]
		}
	}
}

// buildUnits groups the needs into queries: the tracked needs of each
// profile together, each untracked need alone.
func (d *decoder) buildUnits() {
	c := d.c
	d.greqs = d.greqs[:0]
	for _, nd := range d.needs {
		g, r := c.grp[nd.r], int(c.gpos[nd.r])
		lim := c.capac[nd.r] - nd.a
		d.greqs = append(d.greqs, greq{g, req{r, lim, d.prof[g].level(r, lim)}})
	}
	// Needs are few: insertion sort by profile, tracked first.
	a := d.greqs
	for i := 1; i < len(a); i++ {
		for k := i; k > 0 && (a[k].g < a[k-1].g || a[k].g == a[k-1].g && a[k].x >= 0 && a[k-1].x < 0); k-- {
			a[k], a[k-1] = a[k-1], a[k]
		}
	}
	d.reqs = d.reqs[:0]
	for _, x := range a {
		d.reqs = append(d.reqs, x.req)
	}
	d.units = d.units[:0]
	for lo := 0; lo < len(a); {
		hi := lo
		for hi < len(a) && a[hi].g == a[lo].g && a[hi].x >= 0 {
			hi++
		}
		if hi > lo {
			d.units = append(d.units, unit{g: a[lo].g, q: d.reqs[lo:hi]})
			lo = hi
			continue
		}
		d.units = append(d.units, unit{g: a[lo].g, q: d.reqs[lo : lo+1], scan: true})
		lo++
	}
}

// place returns the earliest start >= t0 of activity j (duration dj) where
// every need fits and, if sets, each OneOf set gets a distinct free member
// (written to assign); never if there is none.
func (d *decoder) place(j int32, t0, dj int, sets bool, assign []int32) int {
	if dj > 0 {
		d.buildUnits()
	} else {
		d.units = d.units[:0]
	}
	t := t0
	for {
		moved := false
		for _, u := range d.units {
			var t2 int
			if u.scan {
				t2 = d.prof[u.g].fitScan(t, dj, u.q[0].r, u.q[0].lim)
			} else {
				t2 = d.prof[u.g].fit(t, dj, u.q)
			}
			if t2 == never {
				return never
			}
			if t2 != t {
				t, moved = t2, true
			}
		}
		if moved && len(d.units) > 1 {
			continue
		}
		if !sets {
			return t
		}
		next, ok := d.match(j, t, dj, assign)
		if ok {
			return t
		}
		if next == never {
			return never
		}
		t = next
	}
}

// fitOne is the earliest start >= t of dj minutes with resource m's usage
// <= lim.
func (d *decoder) fitOne(m int32, t, dj int, lim int64) int {
	p := &d.prof[d.c.grp[m]]
	r := int(d.c.gpos[m])
	x := p.level(r, lim)
	if x < 0 {
		return p.fitScan(t, dj, r, lim)
	}
	d.one[0] = req{r, lim, x}
	return p.fit(t, dj, d.one[:])
}

// match tries to give each OneOf set of j a distinct member free over
// [t, t+dj), preferring low resource indices. If it cannot, it returns the
// earliest later time at which a member now busy becomes free: until then
// the free members are a subset of today's, so no matching exists either.
func (d *decoder) match(j int32, t, dj int, assign []int32) (int, bool) {
	c := d.c
	d.cur++
	next := never
	s0, s1 := c.setOff[j], c.setOff[j+1]
	for s := s0; s < s1; s++ {
		for _, m := range c.members(s) {
			if d.stamp[m] == d.cur {
				continue
			}
			d.stamp[m] = d.cur
			d.owner[m] = -1
			lim := c.capac[m] - 1 - c.own(j, m)
			e := never
			if lim >= 0 {
				e = d.fitOne(m, t, dj, lim)
			}
			d.earl[m] = e
			if e != t && e < next {
				next = e
			}
			if s1-s0 == 1 && e == t {
				// One set: the lowest-index free member will do.
				assign[s] = m
				return t, true
			}
		}
	}
	if s1-s0 == 1 {
		return next, false
	}
	for s := s0; s < s1; s++ {
		d.seenCur++
		if !d.augment(s, t, assign) {
			return next, false
		}
	}
	return t, true
}

func (d *decoder) augment(s int32, t int, assign []int32) bool {
	for _, m := range d.c.members(s) {
		if d.earl[m] != t || d.seen[m] == d.seenCur {
			continue
		}
		d.seen[m] = d.seenCur
		if o := d.owner[m]; o < 0 || d.augment(o, t, assign) {
			d.owner[m] = s
			assign[s] = m
			return true
		}
	}
	return false
}

// neverFits explains why activity j has no start time at all.
func (d *decoder) neverFits(j int32, dj int) error {
	return errorf(ErrNeverFits, "activity %q (%d minutes) finds no time at which all the resources it needs are available together for that long; widen their availability or shorten the activity", d.c.ids[j], dj)
}

// sortedBy fills list with the activities in increasing (key, rank) order,
// or decreasing with desc.
func (c *compiled) sortedBy(list []int32, key []int, desc bool) []int32 {
	list = list[:0]
	for i := range c.n {
		list = append(list, int32(i))
	}
	slices.SortFunc(list, func(a, b int32) int {
		ka, kb := key[a], key[b]
		if ka == kb {
			ka, kb = int(c.rank[a]), int(c.rank[b])
		}
		switch {
		case ka < kb:
			if desc {
				return 1
			}
			return -1
		case ka > kb:
			if desc {
				return -1
			}
			return 1
		}
		return 0
	})
	return list
}
