# Oznámení o incidentech, čeština.
subject-opened = [#{ $incident }] Výpadek vašich služeb: { $title }
subject-opened-untitled = [#{ $incident }] Výpadek vašich služeb
subject-resolved = [#{ $incident }] Vyřešeno: { $title }
subject-resolved-untitled = [#{ $incident }] Vaše služby opět běží
greeting = Dobrý den,
opened-intro = náš monitoring zjistil výpadek, který postihl { $count ->
    [one] vaši službu
    [few] { $count } vaše služby
   *[other] { $count } vašich služeb
    } (zákazník { $customer }):
incident-title = Incident: { $title }
service-down-since = mimo provoz od { $since }
opened-next = Na odstranění pracujeme a po vyřešení vám znovu napíšeme. Aktuální stav:
resolved-intro = výpadek skončil, { $count ->
    [one] vaše postižená služba opět běží
    [few] { $count } postižené služby opět běží
   *[other] všech { $count } postižených služeb opět běží
    } (zákazník { $customer }).
service-down-for = doba výpadku: { $duration }
resolved-next = Zprávu o incidentu najdete na stavové stránce:
footer = Tuto zprávu odeslal automaticky monitoring vašeho poskytovatele. Číslo incidentu: { $incident }.
duration-days = { $n ->
    [one] { $n } den
    [few] { $n } dny
    [many] { $n } dne
   *[other] { $n } dní
    }
duration-hours = { $n ->
    [one] { $n } hodina
    [few] { $n } hodiny
    [many] { $n } hodiny
   *[other] { $n } hodin
    }
duration-minutes = { $n ->
    [one] { $n } minuta
    [few] { $n } minuty
    [many] { $n } minuty
   *[other] { $n } minut
    }
duration-seconds = { $n ->
    [one] { $n } sekunda
    [few] { $n } sekundy
    [many] { $n } sekundy
   *[other] { $n } sekund
    }

# Hromadná zpráva všem zákazníkům a upozornění personálu na ztrátu redundance.
subject-broadcast = { $title }
broadcast-intro = Zpráva vašeho poskytovatele všem zákazníkům:
broadcast-next = Aktuální stav:
broadcast-footer = Tuto zprávu dostáváte jako kontakt zákazníka svého poskytovatele.
subject-degraded = Ztráta redundance: { $title } (omezených služeb: { $count })
degraded-intro = { $title } má poruchu. Žádná služba nevypadla, ale redundanci ztratilo služeb: { $count }; ohroženo při další poruše je zákazníků: { $customers }. Zákazníci nebyli informováni.
service-degraded = omezeno
degraded-next = Stránka stavu:
degraded-footer = Odesláno pouze personálu systémem Tocsin.

# To the shift lead on duty when an incident opens ($incident: its number; $title: its headline).
subject-lead-opened = Otevřen incident { $incident }: { $title }
lead-opened-intro = Během vaší směny, kterou vedete, byl otevřen incident. Zákazníci dostanou zprávu, pokud jejich služby zůstanou nedostupné déle než čekací doba.
lead-opened-next = Stavová stránka:
lead-opened-footer = Posláno vedoucímu směny ve službě systémem Tocsin.

# Planned maintenance ($title: the window's title; $customer: customer name; $count: how many of
# the customer's services will be down; $utc, $local: the window's times; $previous: the times
# before a move).
subject-maintenance-announced = Plánovaná údržba: { $title }
subject-maintenance-reminder = Připomenutí plánované údržby: { $title }
subject-maintenance-moved = Plánovaná údržba přesunuta: { $title }
subject-maintenance-cancelled = Plánovaná údržba zrušena: { $title }
maintenance-announced-intro = Plánujeme údržbu infrastruktury, která přeruší { $count ->
    [one] jednu z vašich služeb
    [few] { $count } vaše služby
   *[other] { $count } vašich služeb
    } (zákazník { $customer }).
maintenance-reminder-intro = Připomínáme: plánovaná údržba infrastruktury přeruší { $count ->
    [one] jednu z vašich služeb
    [few] { $count } vaše služby
   *[other] { $count } vašich služeb
    } (zákazník { $customer }).
maintenance-moved-intro = Plánovaná údržba, která přeruší { $count ->
    [one] jednu z vašich služeb
    [few] { $count } vaše služby
   *[other] { $count } vašich služeb
    } (zákazník { $customer }), byla přesunuta na nový termín.
maintenance-cancelled-intro = Plánovaná údržba, která měla přerušit { $count ->
    [one] jednu z vašich služeb
    [few] { $count } vaše služby
   *[other] { $count } vašich služeb
    } (zákazník { $customer }), byla zrušena; v tomto termínu se nic nepřeruší.
maintenance-when = Kdy: { $utc }; { $local }.
maintenance-when-utc = Kdy: { $utc }.
maintenance-previously = Původní termín: { $previous }.
service-in-maintenance = nedostupná během údržby
maintenance-next = Kalendář údržby je na naší stavové stránce:
maintenance-footer = Tuto zprávu odeslal automaticky váš poskytovatel. O této údržbě už další e-mail nepošleme: její začátek a konec uvidíte na stavové stránce.

# A final month's SLA credit for one service ($service, $service_id: the service; $month: the
# month's name and year; $availability, $sla: percentages; $down: the downtime counted;
# $net, $vat, $gross: amounts in $currency; $deadline: a UTC timestamp; $first: the offer that
# applies when the customer does not choose; $value: an offer's amount or number of days).
subject-credit-offered = Kompenzace SLA za službu { $service } — { $month }
credit-offered-intro = dostupnost vaší služby { $service } ({ $service_id }) za { $month } byla { $availability }, tedy pod slíbenými { $sla } (zákazník { $customer }). Započtená doba výpadku: { $down }. Náleží vám proto kompenzace.
credit-amounts = Kompenzace činí { $net } { $currency } bez DPH, DPH { $vat } { $currency }, celkem { $gross } { $currency } s DPH.
credit-amounts-reverse-charge = Kompenzace činí { $net } { $currency } bez DPH: uplatní se přenesení daňové povinnosti a daň přiznáváte vy. Celkem { $gross } { $currency }.
credit-choose = Vyberte si, v jaké podobě ji chcete:
offer-account-credit = { $value } { $currency } připsaných na váš zákaznický účet
offer-service-days = { $value ->
    [one] { $value } den
    [few] { $value } dny
   *[other] { $value } dní
    } služby zdarma
credit-deadline = Vybrat můžete do { $deadline }. Pokud do té doby nevyberete, použijeme první možnost: { $first }.
credit-offered-next = Volbu provedete ve své zákaznické sekci:
credit-offered-footer = Tuto zprávu odeslal automaticky váš poskytovatel po uzavření měsíce, jednou za každou službu a měsíc.
month-year = { $m ->
    [1] leden
    [2] únor
    [3] březen
    [4] duben
    [5] květen
    [6] červen
    [7] červenec
    [8] srpen
    [9] září
    [10] říjen
    [11] listopad
   *[12] prosinec
    } { $year }

# The support desk ($ticket: the ticket's number; $subject: its subject; $target: the SLA target
# missed, in words; $due: a UTC timestamp; $customer: the customer's name or id).
ticket-untitled = (bez předmětu)
ticket-received-intro = děkujeme, že jste se na nás obrátili. Váš požadavek jsme přijali a evidujeme ho pod číslem T-{ $ticket }: „{ $subject }“. Odpovíme vám co nejdříve.
ticket-received-quote = Vaše zpráva:
ticket-received-reply = Pokud chcete něco doplnit, stačí odpovědět na tento e-mail a vaše odpověď se připojí k požadavku. Ponechte prosím v předmětu označení [#T-{ $ticket }].
ticket-received-next = Průběh požadavku můžete sledovat ve své zákaznické sekci:
ticket-received-footer = Toto je automatické potvrzení od zákaznické podpory vašeho poskytovatele.
ticket-reply-sign-off = S pozdravem
ticket-reply-team = Tým zákaznické podpory
ticket-reply-next = Požadavek T-{ $ticket } i celou dosavadní komunikaci najdete ve své zákaznické sekci:
ticket-reply-footer = Odpovědět můžete přímo na tento e-mail; ponechte prosím v předmětu označení [#T-{ $ticket }].
subject-ticket-breach = Nedodržen cíl SLA: { $target }
ticket-target = { $target ->
    [first_response] první odpověď
    [next_response] další odpověď
   *[resolution] vyřešení
    }
ticket-breach-intro = u požadavku T-{ $ticket } („{ $subject }“) nebyl dodržen cíl SLA.
ticket-breach-target = Cíl: { $target }
ticket-breach-due = Termín: { $due }
ticket-breach-customer = Zákazník: { $customer }
ticket-breach-no-customer = Zákazník: zatím nepřiřazen
ticket-breach-next = Požadavek v konzoli:
ticket-breach-footer = Posláno systémem Tocsin vedoucímu směny ve službě a řešiteli požadavku.

# To every admin when a staff member opens a sealed envelope ($envelope: its number; $name: its
# name; $opener: the login of who opened it; $when: a UTC timestamp). The secret is never here.
envelope-untitled = (bez názvu)
subject-envelope-opened = Zapečetěnou obálku #{ $envelope } „{ $name }“ otevřel uživatel { $opener }
envelope-opened-intro = Zapečetěnou obálku #{ $envelope } „{ $name }“ otevřel uživatel { $opener }. Čas otevření: { $when }.
envelope-opened-reason = Uvedený důvod:
envelope-opened-no-reason = Žádný důvod nebyl uveden.
envelope-opened-next = Obálky a jejich otevření najdete v konzoli:
envelope-opened-footer = Posláno systémem Tocsin všem administrátorům; samotné tajemství se e-mailem nikdy neposílá. Pokud jste toto otevření nečekali, tajemství ihned změňte: kdo obálku otevřel, tajemství zná.
