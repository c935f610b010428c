package firewall

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// readInput reads r to its end, at most [MaxFileSize] bytes.
func readInput(file string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(data) > MaxFileSize {
		return nil, Errors{{Pos: Pos{File: file, Line: 1}, tooLarge: true,
			Msg: fmt.Sprintf("the export is larger than %d MiB, the most dcmove reads; is it the right file?", MaxFileSize>>20)}}
	}
	return data, nil
}

// eachLine calls fn with every line of data and its number, without the
// line ending. A line longer than [MaxLineLength] is reported in errs and
// not passed to fn.
func eachLine(file string, data []byte, errs *Errors, fn func(n int, line string)) {
	n := 0
	for len(data) > 0 {
		n++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) > MaxLineLength {
			*errs = append(*errs, &Error{Pos: Pos{File: file, Line: n}, tooLarge: true,
				Msg: fmt.Sprintf("line is longer than %d MiB, the most dcmove reads; is it the right file?", MaxLineLength>>20)})
			continue
		}
		fn(n, strings.TrimSuffix(string(line), "\r"))
	}
}

// lineCount returns the number of lines of data, as [eachLine] counts them.
func lineCount(data []byte) int {
	n := bytes.Count(data, []byte{'\n'})
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// shellWords splits an iptables-save line into words: white space
// separates them, double quotes group words and take backslash escapes,
// single quotes group words as written.
func shellWords(s string) ([]string, error) {
	words := make([]string, 0, 32)
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		// A word without quotes or backslashes, the usual case, is a
		// slice of s.
		if !inWord && c != ' ' && c != '\t' {
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '"' && s[j] != '\'' && s[j] != '\\' {
				j++
			}
			if j == len(s) || s[j] == ' ' || s[j] == '\t' {
				words = append(words, s[i:j])
				i = j
				continue
			}
		}
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '"':
			inWord = true
			closed := false
			for i++; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					cur.WriteByte(s[i])
					continue
				}
				if s[i] == '"' {
					closed = true
					break
				}
				cur.WriteByte(s[i])
			}
			if !closed {
				return nil, fmt.Errorf("a double quote is not closed")
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("a single quote is not closed")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '\\' && i+1 < len(s):
			inWord = true
			i++
			cur.WriteByte(s[i])
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// nonNil returns rules, or an empty list for none, so that a parser never
// returns no rules and no error alike.
func nonNil(rules []Rule) []Rule {
	if rules == nil {
		return []Rule{}
	}
	return rules
}
