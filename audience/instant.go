package audience

import (
	"cmp"
	"time"
)

// An instant is a point in time as the time operators compare it: seconds
// since the Unix epoch and nanoseconds within the second. Offsets and
// locations are gone: 10:00+02:00 and 08:00Z are the same instant.
type instant struct {
	sec  int64
	nsec int32
}

func instantOf(t time.Time) instant { return instant{t.Unix(), int32(t.Nanosecond())} }

func cmpInstant(a, b instant) int {
	if c := cmp.Compare(a.sec, b.sec); c != 0 {
		return c
	}
	return cmp.Compare(a.nsec, b.nsec)
}

// instantValue returns the instant of a time attribute, or of a string
// attribute that parseInstant reads.
func instantValue(v *Value) (instant, bool) {
	switch v.k {
	case KindTime:
		return instant{int64(v.n), int32(v.m)}, true
	case KindString:
		return parseInstant(v.str())
	}
	return instant{}, false
}

// parseInstant parses, without allocating, an RFC 3339 date-time such as
// "2026-01-01T09:30:00+02:00" or "2026-01-01T07:30:00.25Z" (section 5.6:
// a four-digit year, 'T' and 'Z' in either case, an optional fraction of
// any length, of which nanoseconds count, and a Z or ±hh:mm offset), or an
// RFC 3339 full-date such as "2026-01-01", which stands for its midnight
// UTC. As in package time, a leap second (second 60) is refused.
func parseInstant(s string) (instant, bool) {
	if len(s) < len("2006-01-02") || s[4] != '-' || s[7] != '-' {
		return instant{}, false
	}
	year, ok1 := num(s[0:4], 0, 9999)
	month, ok2 := num(s[5:7], 1, 12)
	if !ok1 || !ok2 {
		return instant{}, false
	}
	day, ok := num(s[8:10], 1, daysIn(month, year))
	if !ok {
		return instant{}, false
	}
	days := daysFromCivil(year, month, day)
	if len(s) == len("2006-01-02") {
		return instant{sec: days * 86400}, true
	}
	if len(s) < len("2006-01-02T15:04:05Z") || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return instant{}, false
	}
	hour, ok1 := num(s[11:13], 0, 23)
	minute, ok2 := num(s[14:16], 0, 59)
	second, ok3 := num(s[17:19], 0, 59)
	if !ok1 || !ok2 || !ok3 {
		return instant{}, false
	}
	s = s[19:]
	var nsec int32
	if s[0] == '.' {
		i := 1
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if i <= 9 {
				nsec = nsec*10 + int32(s[i]-'0')
			}
		}
		if i == 1 {
			return instant{}, false
		}
		for j := i; j <= 9; j++ {
			nsec *= 10
		}
		s = s[i:]
	}
	var offset int64
	switch {
	case len(s) == 1 && (s[0] == 'Z' || s[0] == 'z'):
	case len(s) == len("+07:00") && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		oh, ok1 := num(s[1:3], 0, 23)
		om, ok2 := num(s[4:6], 0, 59)
		if !ok1 || !ok2 {
			return instant{}, false
		}
		offset = (oh*60 + om) * 60
		if s[0] == '-' {
			offset = -offset
		}
	default:
		return instant{}, false
	}
	return instant{sec: days*86400 + hour*3600 + minute*60 + second - offset, nsec: nsec}, true
}

// num parses s, all ASCII digits, as a number in [lo, hi].
func num(s string, lo, hi int64) (int64, bool) {
	var x int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		x = x*10 + int64(s[i]-'0')
	}
	return x, x >= lo && x <= hi
}

// daysIn returns the number of days of month (1-12) in year.
func daysIn(month, year int64) int64 {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to the proleptic
// Gregorian date year-month-day (Howard Hinnant's days_from_civil).
func daysFromCivil(year, month, day int64) int64 {
	if month <= 2 {
		year--
	}
	era := year
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := year - era*400
	mp := (month + 9) % 12
	doy := (153*mp+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
