// Package schedule plans when each activity of a move runs, so that the
// move ends as early as its dependencies and resources allow: a
// resource-constrained project scheduler (RCPSP).
//
// Time is whole minutes from an origin that the caller maps to wall time;
// nothing starts before 0. A [Problem] lists [Activity] values (duration,
// predecessors, release time, the [Demand]s they hold on renewable
// resources, and OneOf sets from which they take one member, such as one
// crew member having a role) and [Resource] values (capacity, and
// availability [Interval]s such as shifts, which work may not straddle).
// [Solve] returns a [Result]: start and finish times, the members chosen,
// the makespan with a lower bound and the critical path, each activity's
// slack, and the activity list that produced the schedule. [Evaluate]
// re-decodes such a list with other durations, and [MonteCarlo] does it
// for sampled durations to estimate the chance of meeting a deadline.
//
// # Method
//
// Schedules are built by the serial schedule generation scheme (SSGS;
// Kolisch 1996): activities are taken in the order of a precedence-feasible
// list, and each starts at the earliest time, at or after its release and
// its predecessors' finishes, at which every demand fits under capacity for
// its whole duration and each OneOf set has a member free (and available)
// for the whole duration; among free members the lowest index is taken,
// and sets of one activity get distinct members. The schedules SSGS can
// produce (the active schedules) always include an optimal one, so the
// search is over lists.
//
// The effort is counted in passes ([Options.Passes]), each one activity
// list decoded by SSGS and improved by forward-backward improvement, or
// justification (Valls, Ballestín and Quintanilla 2005): decoding the
// activities in decreasing order of finish on the mirrored problem
// right-justifies the schedule without moving anything earlier, and
// decoding them again forward in order of those right-justified starts
// left-justifies it, often shorter; rounds repeat while one gains at least
// 1% of the makespan (at least one minute).
//
// The first four lists come from the priority rules LFT (latest finish
// time from a backward critical-path pass), MTS (most total successors;
// estimated above 4096 activities), GRPW (greatest rank positional weight)
// and LST (latest start time); the next ones randomise them in turn:
// regret-based biased random sampling (Drexl 1991) up to 2000 activities,
// noise on the rule's ranks above. These make the initial population of a
// genetic algorithm over activity lists (Hartmann 1998) of 40 lists (20
// from 1,000 activities, 10 from 5,000), which makes the passes beyond.
// Each individual is the list of a justified schedule, the order its
// forward decode used. A generation breeds as many children as the
// population holds: two parents, each the better of two drawn at random,
// give two children by two-point crossover (the mother's first q1
// activities, then the father's next ones in his order, then the rest in
// the mother's, which keeps every predecessor first), and each child gets
// a shift mutation (an activity moved to a random place between its last
// predecessor and first successor) with probability 0.8, and another
// with the same probability, and so on. Each child is decoded and
// justified, and the population keeps the best distinct schedules of
// parents and children (elitist). After 25 generations without a
// shorter schedule it restarts from the best one, half the others new
// randomised rule lists and half the best perturbed by shifts.
//
// The best schedule over all passes is kept, and the search stops early
// when it reaches the lower bound. The sequence of lists tried does not
// depend on the number of passes, which only cuts it short, so more
// effort never gives a longer schedule. On instances in the style of the
// PSPLIB set J30 (ProGen; 30 activities, 4 resources) 1,000 passes end
// 0.05% above the optimum on average (8 passes: 1.3%), in about 50 ms
// each (see TestGAJ30). Seeded PCG generators drive the randomness and nothing
// iterates over a map, so the same Problem and [Options] give the same
// Result.
//
// [Result.Slack] comes from the right-justified form of the final
// schedule, with every activity keeping its OneOf members: how far each
// activity can start later while the others also move as late as they
// can, without delaying the makespan. [Result.LowerBound] is the largest of
// the critical path, the earliest finish with release times and
// availability (usage ignored), and, per resource and per OneOf set, the
// time by which capacity over the available time covers the work.
//
// # Resource profiles
//
// The usage of resources over time is a step function kept in a B+ tree
// of time segments. Resources demanded by activities share one tree per
// group of up to eight, so that one query covers all of an activity's
// demands; each inner node summarises its children by usage bounds and,
// for each usage limit that some demand tests, the lengths of the free
// prefix, free suffix and longest free run. The earliest window of d
// minutes that fits every demand is then found in one descent, O(log n)
// however fragmented the usage, and recording an activity costs O(log n)
// too. (A resource demanded in more than eight distinct amounts is not
// summarised that way; its windows are found by stepping from one free
// stretch to the next.) One pass over 100,000 activities on five
// resources takes about 1.3 s (BenchmarkSolve).
//
// # Errors
//
// Problems that cannot be scheduled are reported with the activity at
// fault and what to change, wrapping one of [ErrCycle], [ErrPred],
// [ErrResource], [ErrDemand], [ErrNeverFits] or [ErrDuration]; bad
// arguments to [Evaluate] and [MonteCarlo] wrap [ErrOrder] or
// [ErrArgument].
//
// The package is pure: it reads no clock and does no I/O.
package schedule
