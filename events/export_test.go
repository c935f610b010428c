package events

// V1TemplateKinds exposes the v1 upcaster's table to the external tests.
var V1TemplateKinds = v1TemplateKinds
