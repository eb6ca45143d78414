// Reads an iCalendar text on stdin and parses it with ical.js (Thunderbird's parser); prints
// what a calendar program takes from it as JSON. Exits non-zero when ical.js cannot read it.
import ICAL from "ical.js";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;

const calendar = new ICAL.Component(ICAL.parse(input));
const zones = calendar.getAllSubcomponents("vtimezone").map((zone) => {
  const timezone = new ICAL.Timezone(zone);
  ICAL.TimezoneService.register(timezone);
  return timezone.tzid;
});
const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  const start = component.getFirstPropertyValue("dtstart");
  return {
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    status: component.getFirstPropertyValue("status"),
    start: event.startDate.toString(),
    start_utc: event.startDate.toJSDate().toISOString(),
    all_day: event.startDate.isDate,
    tzid: start && start.zone ? start.zone.tzid : null,
    organizer: component.getFirstPropertyValue("organizer"),
    attendees: event.attendees.map((attendee) => ({
      address: attendee.getFirstValue(),
      rsvp: attendee.getParameter("rsvp"),
      partstat: attendee.getParameter("partstat"),
    })),
  };
});
process.stdout.write(
  JSON.stringify({ method: calendar.getFirstPropertyValue("method"), zones, events }),
);
