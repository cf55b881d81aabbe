# Incident notices, English.
# $incident: incident number; $title: incident title; $customer: customer name;
# $count: how many of the customer's services; $since: a UTC timestamp; $duration: a duration.
subject-opened = [#{ $incident }] Outage of your services: { $title }
subject-opened-untitled = [#{ $incident }] Outage of your services
subject-resolved = [#{ $incident }] Resolved: { $title }
subject-resolved-untitled = [#{ $incident }] Your services are running again
greeting = Hello,
opened-intro = Our monitoring has detected an outage that affects { $count ->
    [one] one of your services
   *[other] { $count } of your services
    } (customer { $customer }):
incident-title = Incident: { $title }
service-down-since = down since { $since }
opened-next = We are working on it and will write again when it is resolved. Current status:
resolved-intro = The outage is over; { $count ->
    [one] your affected service is
   *[other] all { $count } of your affected services are
    } running again (customer { $customer }).
service-down-for = was down for { $duration }
resolved-next = The incident report is on our status page:
footer = This message was sent automatically by your provider's monitoring. Incident number: { $incident }.
duration-days = { $n ->
    [one] { $n } day
   *[other] { $n } days
    }
duration-hours = { $n ->
    [one] { $n } hour
   *[other] { $n } hours
    }
duration-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
    }
duration-seconds = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
    }

# Mass mail to every customer ($title: the staff's subject), and the staff-only notice of lost
# redundancy ($title: the failing component; $count: services degraded; $customers: customers at risk).
subject-broadcast = { $title }
broadcast-intro = A message from your provider to all its customers:
broadcast-next = Current status:
broadcast-footer = You receive this message because you are a contact of a customer of your provider.
subject-degraded = Lost redundancy: { $title } ({ $count } services degraded)
degraded-intro = { $title } is failing. No service is down, but { $count ->
    [one] one service has
   *[other] { $count } services have
    } lost redundancy; { $customers ->
    [one] one customer is
   *[other] { $customers } customers are
    } at risk if another component fails. Customers were not told.
service-degraded = degraded
degraded-next = Status page:
degraded-footer = Sent to staff only by Tocsin.

# To the shift lead on duty when an incident opens ($incident: its number; $title: its headline).
subject-lead-opened = Incident { $incident } opened: { $title }
lead-opened-intro = An incident opened while you lead the shift. Customers are told once their services stay down past the hold-down.
lead-opened-next = Status page:
lead-opened-footer = Sent to the shift lead on duty by Tocsin.

# Planned maintenance ($title: the window's title; $customer: customer name; $count: how many of
# the customer's services will be down; $utc, $local: the window's times; $previous: the times
# before a move).
subject-maintenance-announced = Planned maintenance: { $title }
subject-maintenance-reminder = Reminder of planned maintenance: { $title }
subject-maintenance-moved = Planned maintenance moved: { $title }
subject-maintenance-cancelled = Planned maintenance cancelled: { $title }
maintenance-announced-intro = We plan maintenance on our infrastructure that will interrupt { $count ->
    [one] one of your services
   *[other] { $count } of your services
    } (customer { $customer }).
maintenance-reminder-intro = A reminder: planned maintenance on our infrastructure will interrupt { $count ->
    [one] one of your services
   *[other] { $count } of your services
    } (customer { $customer }).
maintenance-moved-intro = The planned maintenance that will interrupt { $count ->
    [one] one of your services
   *[other] { $count } of your services
    } (customer { $customer }) has been moved to a new time.
maintenance-cancelled-intro = The planned maintenance that would have interrupted { $count ->
    [one] one of your services
   *[other] { $count } of your services
    } (customer { $customer }) has been cancelled; nothing will be interrupted at that time.
maintenance-when = When: { $utc }; { $local }.
maintenance-when-utc = When: { $utc }.
maintenance-previously = Previously planned: { $previous }.
service-in-maintenance = down during the maintenance
maintenance-next = The maintenance calendar is on our status page:
maintenance-footer = This message was sent automatically by your provider. Nothing else will be mailed about this maintenance: its start and end show on the status page.

# A final month's SLA credit for one service ($service, $service_id: the service; $month: the
# month's name and year; $availability, $sla: percentages; $down: the downtime counted;
# $net, $vat, $gross: amounts in $currency; $deadline: a UTC timestamp; $first: the offer that
# applies when the customer does not choose; $value: an offer's amount or number of days).
subject-credit-offered = SLA credit for { $service } — { $month }
credit-offered-intro = The availability of your service { $service } ({ $service_id }) in { $month } was { $availability }, below the { $sla } we promise (customer { $customer }). Downtime counted: { $down }. You are entitled to a credit.
credit-amounts = The credit is { $net } { $currency } plus VAT { $vat } { $currency }, { $gross } { $currency } in total.
credit-amounts-reverse-charge = The credit is { $net } { $currency }, without VAT: the reverse charge applies and you account for the VAT. In total { $gross } { $currency }.
credit-choose = Please choose how you would like to receive it:
offer-account-credit = { $value } { $currency } credited to your account
offer-service-days = { $value ->
    [one] { $value } free day
   *[other] { $value } free days
    } of the service
credit-deadline = You can choose until { $deadline }. If you have not chosen by then, the first option applies: { $first }.
credit-offered-next = Choose in your client area:
credit-offered-footer = This message was sent automatically by your provider when the month closed; it is sent only once for each service and month.
month-year = { $m ->
    [1] January
    [2] February
    [3] March
    [4] April
    [5] May
    [6] June
    [7] July
    [8] August
    [9] September
    [10] October
    [11] November
   *[12] December
    } { $year }

# The support desk ($ticket: the ticket's number; $subject: its subject; $target: the SLA target
# missed, in words; $due: a UTC timestamp; $customer: the customer's name or id). The subject's
# tag [#T-…] and "Re:" are written by the code, the same in every language.
ticket-untitled = (no subject)
ticket-received-intro = Thank you for contacting us. We have received your request and opened ticket T-{ $ticket } for it: “{ $subject }”. We will answer as soon as we can.
ticket-received-quote = Your message:
ticket-received-reply = If you would like to add anything, simply reply to this e-mail and your reply will be added to the ticket. Please keep [#T-{ $ticket }] in the subject.
ticket-received-next = You can follow the ticket in your client area:
ticket-received-footer = This is an automatic confirmation from your provider's support desk.
ticket-reply-sign-off = Kind regards,
ticket-reply-team = The support team
ticket-reply-next = Ticket T-{ $ticket } and the whole conversation are in your client area:
ticket-reply-footer = To answer, simply reply to this e-mail, keeping [#T-{ $ticket }] in the subject.
subject-ticket-breach = SLA target missed: { $target }
ticket-target = { $target ->
    [first_response] first response
    [next_response] next response
   *[resolution] resolution
    }
ticket-breach-intro = Ticket T-{ $ticket } (“{ $subject }”) has missed an SLA target.
ticket-breach-target = Target: { $target }
ticket-breach-due = Due: { $due }
ticket-breach-customer = Customer: { $customer }
ticket-breach-no-customer = Customer: not assigned yet
ticket-breach-next = Open the ticket in the console:
ticket-breach-footer = Sent by Tocsin to the shift lead on duty and to the ticket's assignee.

# To every admin when a staff member opens a sealed envelope ($envelope: its number; $name: its
# name; $opener: the login of who opened it; $when: a UTC timestamp). The secret is never here.
envelope-untitled = (no name)
subject-envelope-opened = Sealed envelope #{ $envelope } “{ $name }” opened by { $opener }
envelope-opened-intro = Staff member { $opener } opened sealed envelope #{ $envelope } “{ $name }” at { $when }.
envelope-opened-reason = Reason given:
envelope-opened-no-reason = No reason was given.
envelope-opened-next = The envelopes and their openings are in the console:
envelope-opened-footer = Sent by Tocsin to every admin; the secret itself is never e-mailed. If you did not expect this opening, change the secret at once: whoever opened the envelope knows it.
