# Notifications d'incident, français.
subject-opened = [#{ $incident }] Panne de vos services : { $title }
subject-opened-untitled = [#{ $incident }] Panne de vos services
subject-resolved = [#{ $incident }] Résolu : { $title }
subject-resolved-untitled = [#{ $incident }] Vos services fonctionnent à nouveau
greeting = Bonjour,
opened-intro = Notre supervision a détecté une panne qui touche { $count ->
    [one] un de vos services
   *[other] { $count } de vos services
    } (client { $customer }) :
incident-title = Incident : { $title }
service-down-since = indisponible depuis le { $since }
opened-next = Nous y travaillons et vous écrirons à nouveau dès qu'elle sera résolue. État actuel :
resolved-intro = La panne est terminée : { $count ->
    [one] votre service touché fonctionne
   *[other] vos { $count } services touchés fonctionnent
    } à nouveau (client { $customer }).
service-down-for = durée de l'interruption : { $duration }
resolved-next = Le rapport d'incident se trouve sur notre page d'état :
footer = Ce message a été envoyé automatiquement par la supervision de votre fournisseur. Numéro d'incident : { $incident }.
duration-days = { $n ->
    [one] { $n } jour
   *[other] { $n } jours
    }
duration-hours = { $n ->
    [one] { $n } heure
   *[other] { $n } heures
    }
duration-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
    }
duration-seconds = { $n ->
    [one] { $n } seconde
   *[other] { $n } secondes
    }

# Message à tous les clients, et avis au personnel d'une perte de redondance.
subject-broadcast = { $title }
broadcast-intro = Un message de votre fournisseur à tous ses clients :
broadcast-next = État actuel :
broadcast-footer = Vous recevez ce message en tant que contact d'un client de votre fournisseur.
subject-degraded = Perte de redondance : { $title } (services dégradés : { $count })
degraded-intro = { $title } est en panne. Aucun service n'est arrêté, mais services ayant perdu leur redondance : { $count } ; clients menacés si un autre composant tombe : { $customers }. Les clients n'ont pas été prévenus.
service-degraded = dégradé
degraded-next = Page d'état :
degraded-footer = Envoyé au personnel seulement par Tocsin.

# To the shift lead on duty when an incident opens ($incident: its number; $title: its headline).
subject-lead-opened = Incident { $incident } ouvert : { $title }
lead-opened-intro = Un incident a été ouvert pendant la relève que vous dirigez. Les clients seront prévenus si leurs services restent indisponibles au-delà du délai d’attente.
lead-opened-next = Page d’état :
lead-opened-footer = Envoyé par Tocsin au responsable de la relève en service.

# Planned maintenance ($title: the window's title; $customer: customer name; $count: how many of
# the customer's services will be down; $utc, $local: the window's times; $previous: the times
# before a move).
subject-maintenance-announced = Maintenance planifiée : { $title }
subject-maintenance-reminder = Rappel de maintenance planifiée : { $title }
subject-maintenance-moved = Maintenance planifiée déplacée : { $title }
subject-maintenance-cancelled = Maintenance planifiée annulée : { $title }
maintenance-announced-intro = Nous prévoyons une maintenance de notre infrastructure qui interrompra { $count ->
    [one] un de vos services
   *[other] { $count } de vos services
    } (client { $customer }).
maintenance-reminder-intro = Rappel : une maintenance planifiée de notre infrastructure interrompra { $count ->
    [one] un de vos services
   *[other] { $count } de vos services
    } (client { $customer }).
maintenance-moved-intro = La maintenance planifiée qui interrompra { $count ->
    [one] un de vos services
   *[other] { $count } de vos services
    } (client { $customer }) a été déplacée.
maintenance-cancelled-intro = La maintenance planifiée qui devait interrompre { $count ->
    [one] un de vos services
   *[other] { $count } de vos services
    } (client { $customer }) est annulée ; rien ne sera interrompu à cette date.
maintenance-when = Quand : { $utc } ; { $local }.
maintenance-when-utc = Quand : { $utc }.
maintenance-previously = Prévue auparavant : { $previous }.
service-in-maintenance = interrompu pendant la maintenance
maintenance-next = Le calendrier des maintenances est sur notre page d’état :
maintenance-footer = Ce message a été envoyé automatiquement par votre fournisseur. Aucun autre message ne sera envoyé pour cette maintenance : son début et sa fin s’affichent sur la page d’état.

# A final month's SLA credit for one service ($service, $service_id: the service; $month: the
# month's name and year; $availability, $sla: percentages; $down: the downtime counted;
# $net, $vat, $gross: amounts in $currency; $deadline: a UTC timestamp; $first: the offer that
# applies when the customer does not choose; $value: an offer's amount or number of days).
subject-credit-offered = Compensation SLA pour { $service } — { $month }
credit-offered-intro = La disponibilité de votre service { $service } ({ $service_id }) en { $month } a été de { $availability }, en dessous des { $sla } que nous garantissons (client { $customer }). Durée d’indisponibilité retenue : { $down }. Vous avez droit à une compensation.
credit-amounts = La compensation s’élève à { $net } { $currency } HT, plus { $vat } { $currency } de TVA, soit { $gross } { $currency } TTC.
credit-amounts-reverse-charge = La compensation s’élève à { $net } { $currency } HT, sans TVA : l’autoliquidation s’applique et la TVA est due par vous. Total : { $gross } { $currency }.
credit-choose = Choisissez sous quelle forme vous souhaitez la recevoir :
offer-account-credit = { $value } { $currency } crédités sur votre compte client
offer-service-days = { $value ->
    [one] { $value } jour gratuit
   *[other] { $value } jours gratuits
    } du service
credit-deadline = Vous pouvez choisir jusqu’au { $deadline }. Sans choix de votre part d’ici là, la première option s’applique : { $first }.
credit-offered-next = Faites votre choix dans votre espace client :
credit-offered-footer = Ce message a été envoyé automatiquement par votre fournisseur à la clôture du mois, une seule fois par service et par mois.
month-year = { $m ->
    [1] janvier
    [2] février
    [3] mars
    [4] avril
    [5] mai
    [6] juin
    [7] juillet
    [8] août
    [9] septembre
    [10] octobre
    [11] novembre
   *[12] décembre
    } { $year }

# The support desk ($ticket: the ticket's number; $subject: its subject; $target: the SLA target
# missed, in words; $due: a UTC timestamp; $customer: the customer's name or id).
ticket-untitled = (sans objet)
ticket-received-intro = Merci de nous avoir contactés. Nous avons bien reçu votre demande et l’avons enregistrée sous le numéro de ticket T-{ $ticket } : « { $subject } ». Nous vous répondrons dans les meilleurs délais.
ticket-received-quote = Votre message :
ticket-received-reply = Pour apporter une précision, il vous suffit de répondre à cet e-mail : votre réponse sera ajoutée au ticket. Merci de conserver [#T-{ $ticket }] dans l’objet.
ticket-received-next = Vous pouvez suivre le ticket dans votre espace client :
ticket-received-footer = Ceci est un accusé de réception automatique du support de votre fournisseur.
ticket-reply-sign-off = Cordialement,
ticket-reply-team = L’équipe support
ticket-reply-next = Le ticket T-{ $ticket } et l’ensemble de nos échanges se trouvent dans votre espace client :
ticket-reply-footer = Vous pouvez nous répondre directement par retour d’e-mail, en conservant [#T-{ $ticket }] dans l’objet.
subject-ticket-breach = Objectif SLA non respecté : { $target }
ticket-target = { $target ->
    [first_response] première réponse
    [next_response] réponse suivante
   *[resolution] résolution
    }
ticket-breach-intro = Le ticket T-{ $ticket } (« { $subject } ») n’a pas respecté un objectif SLA.
ticket-breach-target = Objectif : { $target }
ticket-breach-due = Échéance : { $due }
ticket-breach-customer = Client : { $customer }
ticket-breach-no-customer = Client : pas encore attribué
ticket-breach-next = Ouvrir le ticket dans la console :
ticket-breach-footer = Envoyé par Tocsin au chef d’équipe de permanence et à la personne chargée du ticket.

# To every admin when a staff member opens a sealed envelope ($envelope: its number; $name: its
# name; $opener: the login of who opened it; $when: a UTC timestamp). The secret is never here.
envelope-untitled = (sans nom)
subject-envelope-opened = Enveloppe scellée #{ $envelope } « { $name } » ouverte par { $opener }
envelope-opened-intro = L’enveloppe scellée #{ $envelope } « { $name } » a été ouverte par { $opener }. Heure de l’ouverture : { $when }.
envelope-opened-reason = Motif indiqué :
envelope-opened-no-reason = Aucun motif n’a été indiqué.
envelope-opened-next = Les enveloppes et leurs ouvertures dans la console :
envelope-opened-footer = Envoyé par Tocsin à tous les administrateurs ; le secret lui-même n’est jamais envoyé par e-mail. Si cette ouverture n’était pas prévue, changez le secret sans attendre : la personne qui a ouvert l’enveloppe le connaît.
