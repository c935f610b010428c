package main

import "github.com/urfave/cli/v2"

// commands are dcmove's commands, in the order its help lists them.
func (m *Main) commands() []*cli.Command {
	return []*cli.Command{
		m.demoCommand(),
		m.planCommand(),
		m.cutoverCommand(),
		m.stepCommand(),
		m.gateCommand(),
		m.degradedCommand(),
		m.cooldownCommand(),
		m.backoutCommand(),
		m.fwCommand(),
		m.checkCommand(),
		m.agentCommand(),
		m.noticeCommand(),
		m.keysCommand(),
		m.statusCommand(),
		m.auditCommand(),
		m.serveCommand(),
		m.versionCommand(),
		m.completionCommand(),
	}
}
