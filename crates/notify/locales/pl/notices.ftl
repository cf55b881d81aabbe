# Powiadomienia o incydentach, polski.
subject-opened = [#{ $incident }] Awaria Twoich usług: { $title }
subject-opened-untitled = [#{ $incident }] Awaria Twoich usług
subject-resolved = [#{ $incident }] Rozwiązano: { $title }
subject-resolved-untitled = [#{ $incident }] Twoje usługi znów działają
greeting = Dzień dobry,
opened-intro = Nasz monitoring wykrył awarię, która dotyczy { $count ->
    [one] Twojej usługi
   *[other] { $count } Twoich usług
    } (klient { $customer }):
incident-title = Incydent: { $title }
service-down-since = niedostępna od { $since }
opened-next = Pracujemy nad usunięciem awarii i napiszemy ponownie, gdy zostanie rozwiązana. Aktualny stan:
resolved-intro = Awaria została usunięta, { $count ->
    [one] Twoja usługa znów działa
    [few] { $count } usługi znów działają
   *[many] { $count } usług znów działa
    } (klient { $customer }).
service-down-for = czas niedostępności: { $duration }
resolved-next = Raport z incydentu znajdziesz na stronie statusu:
footer = Ta wiadomość została wysłana automatycznie przez monitoring Twojego dostawcy. Numer incydentu: { $incident }.
duration-days = { $n ->
    [one] { $n } dzień
   *[other] { $n } dni
    }
duration-hours = { $n ->
    [one] { $n } godzina
    [few] { $n } godziny
    [many] { $n } godzin
   *[other] { $n } godziny
    }
duration-minutes = { $n ->
    [one] { $n } minuta
    [few] { $n } minuty
    [many] { $n } minut
   *[other] { $n } minuty
    }
duration-seconds = { $n ->
    [one] { $n } sekunda
    [few] { $n } sekundy
    [many] { $n } sekund
   *[other] { $n } sekundy
    }

# Wiadomość do wszystkich klientów i powiadomienie personelu o utracie redundancji.
subject-broadcast = { $title }
broadcast-intro = Wiadomość od Twojego dostawcy do wszystkich klientów:
broadcast-next = Aktualny stan:
broadcast-footer = Otrzymujesz tę wiadomość jako kontakt klienta Twojego dostawcy.
subject-degraded = Utrata redundancji: { $title } (usługi z ograniczeniem: { $count })
degraded-intro = { $title } uległ awarii. Żadna usługa nie przestała działać, ale redundancję utraciło usług: { $count }; zagrożonych przy kolejnej awarii jest klientów: { $customers }. Klienci nie zostali powiadomieni.
service-degraded = ograniczona
degraded-next = Strona stanu:
degraded-footer = Wysłano tylko do personelu przez Tocsin.

# To the shift lead on duty when an incident opens ($incident: its number; $title: its headline).
subject-lead-opened = Otwarto incydent { $incident }: { $title }
lead-opened-intro = Podczas zmiany, którą prowadzisz, otwarto incydent. Klienci zostaną powiadomieni, jeśli ich usługi pozostaną niedostępne dłużej niż czas oczekiwania.
lead-opened-next = Strona statusu:
lead-opened-footer = Wysłane przez Tocsin do kierownika dyżurnej zmiany.

# Planned maintenance ($title: the window's title; $customer: customer name; $count: how many of
# the customer's services will be down; $utc, $local: the window's times; $previous: the times
# before a move).
subject-maintenance-announced = Planowane prace serwisowe: { $title }
subject-maintenance-reminder = Przypomnienie o planowanych pracach serwisowych: { $title }
subject-maintenance-moved = Planowane prace serwisowe przeniesione: { $title }
subject-maintenance-cancelled = Planowane prace serwisowe odwołane: { $title }
maintenance-announced-intro = Planujemy prace serwisowe infrastruktury, które przerwą { $count ->
    [one] jedną z Państwa usług
    [few] { $count } Państwa usługi
   *[other] { $count } Państwa usług
    } (klient { $customer }).
maintenance-reminder-intro = Przypominamy: planowane prace serwisowe infrastruktury przerwą { $count ->
    [one] jedną z Państwa usług
    [few] { $count } Państwa usługi
   *[other] { $count } Państwa usług
    } (klient { $customer }).
maintenance-moved-intro = Planowane prace serwisowe, które przerwą { $count ->
    [one] jedną z Państwa usług
    [few] { $count } Państwa usługi
   *[other] { $count } Państwa usług
    } (klient { $customer }), zostały przeniesione na nowy termin.
maintenance-cancelled-intro = Planowane prace serwisowe, które miały przerwać { $count ->
    [one] jedną z Państwa usług
    [few] { $count } Państwa usługi
   *[other] { $count } Państwa usług
    } (klient { $customer }), zostały odwołane; w tym terminie nic nie zostanie przerwane.
maintenance-when = Kiedy: { $utc }; { $local }.
maintenance-when-utc = Kiedy: { $utc }.
maintenance-previously = Poprzedni termin: { $previous }.
service-in-maintenance = niedostępna podczas prac
maintenance-next = Kalendarz prac serwisowych jest na naszej stronie statusu:
maintenance-footer = Ta wiadomość została wysłana automatycznie przez Państwa dostawcę. O tych pracach nie wyślemy już innych wiadomości: ich początek i koniec pokaże strona statusu.

# A final month's SLA credit for one service ($service, $service_id: the service; $month: the
# month's name and year; $availability, $sla: percentages; $down: the downtime counted;
# $net, $vat, $gross: amounts in $currency; $deadline: a UTC timestamp; $first: the offer that
# applies when the customer does not choose; $value: an offer's amount or number of days).
subject-credit-offered = Rekompensata SLA za usługę { $service } — { $month }
credit-offered-intro = Dostępność Państwa usługi { $service } ({ $service_id }) za { $month } wyniosła { $availability }, czyli mniej niż gwarantowane { $sla } (klient { $customer }). Uwzględniony czas niedostępności: { $down }. Przysługuje Państwu rekompensata.
credit-amounts = Rekompensata wynosi { $net } { $currency } netto plus VAT { $vat } { $currency }, razem { $gross } { $currency } brutto.
credit-amounts-reverse-charge = Rekompensata wynosi { $net } { $currency } netto, bez VAT: obowiązuje odwrotne obciążenie i podatek rozliczają Państwo sami. Razem { $gross } { $currency }.
credit-choose = Prosimy wybrać formę rekompensaty:
offer-account-credit = { $value } { $currency } na Państwa konto klienta
offer-service-days = { $value ->
    [one] { $value } dzień
   *[other] { $value } dni
    } bezpłatnego korzystania z usługi
credit-deadline = Na wybór mają Państwo czas do { $deadline }. Jeśli do tego czasu nie dokonają Państwo wyboru, zastosujemy pierwszą możliwość: { $first }.
credit-offered-next = Wyboru można dokonać w panelu klienta:
credit-offered-footer = Ta wiadomość została wysłana automatycznie przez Państwa dostawcę po zamknięciu miesiąca, raz dla każdej usługi i miesiąca.
month-year = { $m ->
    [1] styczeń
    [2] luty
    [3] marzec
    [4] kwiecień
    [5] maj
    [6] czerwiec
    [7] lipiec
    [8] sierpień
    [9] wrzesień
    [10] październik
    [11] listopad
   *[12] grudzień
    } { $year }

# The support desk ($ticket: the ticket's number; $subject: its subject; $target: the SLA target
# missed, in words; $due: a UTC timestamp; $customer: the customer's name or id).
ticket-untitled = (bez tematu)
ticket-received-intro = Dziękujemy za kontakt. Otrzymaliśmy Państwa zgłoszenie i zarejestrowaliśmy je pod numerem T-{ $ticket }: „{ $subject }”. Odpowiemy najszybciej, jak to możliwe.
ticket-received-quote = Państwa wiadomość:
ticket-received-reply = Jeśli chcą Państwo coś dodać, wystarczy odpowiedzieć na tę wiadomość, a odpowiedź zostanie dołączona do zgłoszenia. Prosimy zachować w temacie oznaczenie [#T-{ $ticket }].
ticket-received-next = Przebieg zgłoszenia mogą Państwo śledzić w panelu klienta:
ticket-received-footer = To jest automatyczne potwierdzenie od działu wsparcia Państwa dostawcy.
ticket-reply-sign-off = Z poważaniem
ticket-reply-team = Dział wsparcia
ticket-reply-next = Zgłoszenie T-{ $ticket } wraz z całą korespondencją znajdą Państwo w panelu klienta:
ticket-reply-footer = Aby odpowiedzieć, wystarczy odpisać na tę wiadomość, zachowując w temacie oznaczenie [#T-{ $ticket }].
subject-ticket-breach = Niedotrzymany cel SLA: { $target }
ticket-target = { $target ->
    [first_response] pierwsza odpowiedź
    [next_response] kolejna odpowiedź
   *[resolution] rozwiązanie
    }
ticket-breach-intro = W zgłoszeniu T-{ $ticket } („{ $subject }”) nie dotrzymano celu SLA.
ticket-breach-target = Cel: { $target }
ticket-breach-due = Termin: { $due }
ticket-breach-customer = Klient: { $customer }
ticket-breach-no-customer = Klient: jeszcze nieprzypisany
ticket-breach-next = Zgłoszenie w konsoli:
ticket-breach-footer = Wysłane przez Tocsin do kierownika dyżurnej zmiany i osoby przypisanej do zgłoszenia.

# To every admin when a staff member opens a sealed envelope ($envelope: its number; $name: its
# name; $opener: the login of who opened it; $when: a UTC timestamp). The secret is never here.
envelope-untitled = (bez nazwy)
subject-envelope-opened = Zapieczętowana koperta #{ $envelope } „{ $name }” otwarta przez użytkownika { $opener }
envelope-opened-intro = Zapieczętowana koperta #{ $envelope } „{ $name }” została otwarta przez użytkownika { $opener }. Czas otwarcia: { $when }.
envelope-opened-reason = Podany powód:
envelope-opened-no-reason = Nie podano powodu.
envelope-opened-next = Koperty i historia ich otwarć w konsoli:
envelope-opened-footer = Wysłane przez Tocsin do wszystkich administratorów; sam sekret nigdy nie jest wysyłany e-mailem. Jeśli to otwarcie nie było oczekiwane, natychmiast zmień sekret: osoba, która otworzyła kopertę, go zna.
